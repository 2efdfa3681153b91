// Turning C++ exceptions into shim codes and messages: nothing may unwind into Swift, where an
// exception aborts the host process.
#pragma once
#include "faiss_shim.h"

#include <faiss/impl/FaissException.h>

#include <cstdio>
#include <new>
#include <string>

namespace stasis_shim {

inline void set_message(char* err, const std::string& message) {
    if (!err) return;
    std::snprintf(err, FSHIM_ERR_LEN, "%s", message.c_str());
}

/// Faiss messages carry the source location of the failed check; keep only what a user can act on.
inline std::string faiss_reason(const faiss::FaissException& e) {
    // Shapes: "Error in FUNC at FILE:LINE: Error: 'COND' failed: MSG" or "Error in FUNC at FILE:LINE: MSG".
    std::string what = e.what();
    auto check = what.find("Error: ");
    if (check != std::string::npos) return what.substr(check + 7);
    auto location = what.find(" at ");
    if (what.rfind("Error in ", 0) == 0 && location != std::string::npos) {
        auto colon = what.find(": ", location);
        if (colon != std::string::npos) return what.substr(colon + 2);
    }
    return what;
}

/// Runs `body`, converting every exception to a shim code and message.
template <typename Body>
int guarded(char* err, int invalid_code, Body&& body) {
    try {
        body();
        return FSHIM_OK;
    } catch (const faiss::FaissException& e) {
        set_message(err, faiss_reason(e));
        return invalid_code;
    } catch (const std::bad_alloc&) {
        set_message(err, "out of memory");
        return FSHIM_NO_MEMORY;
    } catch (const std::exception& e) {
        set_message(err, e.what());
        return FSHIM_INTERNAL;
    } catch (...) {
        set_message(err, "unknown C++ exception");
        return FSHIM_INTERNAL;
    }
}

}  // namespace stasis_shim
