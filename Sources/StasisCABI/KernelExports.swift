import StasisCore

// Exports for the "Distance kernels" section of include/stasis.h.

@_cdecl("stasis_set_portable_kernels")
public func stasis_set_portable_kernels(_ portable: Int32) -> Int32 {
    boundary { Kernels.setPortable(portable != 0) }
}

@_cdecl("stasis_kernel_name")
public func stasis_kernel_name() -> UnsafePointer<CChar> { Kernels.namePointer }

@_cdecl("stasis_set_flat_prefilter")
public func stasis_set_flat_prefilter(_ enabled: Int32) -> Int32 {
    boundary { Kernels.flatPrefilter = enabled != 0 }
}

@_cdecl("stasis_flat_prefilter_enabled")
public func stasis_flat_prefilter_enabled() -> Int32 { Kernels.flatPrefilter ? 1 : 0 }
