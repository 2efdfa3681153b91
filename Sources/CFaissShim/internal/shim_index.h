// What an fshim_index handle holds: the Faiss index plus the state of the shim's own search paths.
#pragma once
#include "flat_int8.h"
#include "scratch.h"

#include <faiss/Index.h>

#include <memory>
#include <shared_mutex>

struct fshim_index {
    fshim_index(std::unique_ptr<faiss::Index> i, int k);

    std::unique_ptr<faiss::Index> index;
    int kind;
    /// efSearch used when a search passes none; what the file stores.
    int default_ef = 0;
    /// Only for Faiss's own HNSW search (fshim_search_faiss): 1.7.3 ignores
    /// SearchParametersHNSW::efSearch and reads the index member, so a search needing another
    /// efSearch changes the member exclusively. The shim's own loop takes ef per call and never
    /// touches the member or this lock.
    mutable std::shared_mutex ef_mutex;
    /// Working memory of the shim's own search loops, reused across calls.
    mutable stasis_shim::ScratchPool scratch;
    /// Flat inner-product batches: the gallery's 8-bit copy (flat_int8.cpp), built on first use.
    mutable stasis_shim::Int8Cache int8;
};
