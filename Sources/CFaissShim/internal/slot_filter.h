// The slot-table filter (fshim_filter) as seen by the shim's own loops and by Faiss.
#pragma once
#include "faiss_shim.h"

#include <faiss/impl/IDSelector.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `label` may be returned. `filter` may be null (every label eligible).
inline bool eligible(const fshim_filter* filter, int64_t label) {
    if (!filter) return true;
    if (!filter->alive[label]) return false;
    return !filter->restrict_version || filter->versions[label] == filter->version;
}

/// The same test for Faiss's own search paths; read-only, so safe across OpenMP threads.
struct SlotSelector final : faiss::IDSelector {
    explicit SlotSelector(const fshim_filter& f) : filter(f) {}
    bool is_member(faiss::Index::idx_t label) const override { return eligible(&filter, label); }
    fshim_filter filter;
};

/// Null when the caller passed no filter (or one without a live table): the fast, unfiltered path.
inline const fshim_filter* effective_filter(const fshim_filter* filter) {
    return filter && filter->alive ? filter : nullptr;
}

}  // namespace stasis_shim
