/// Version of the library; kept equal to the STASIS_VERSION_* macros in include/stasis.h.
public enum LibraryVersion {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    /// "MAJOR.MINOR.PATCH".
    public static let string = "\(major).\(minor).\(patch)"
    /// MAJOR * 1_000_000 + MINOR * 1_000 + PATCH, comparable with `<`.
    public static let number = major * 1_000_000 + minor * 1_000 + patch
    /// Bumped whenever a change to include/stasis.h would break an existing binary caller.
    public static let abi = 1
}
