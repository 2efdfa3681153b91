extension Stasis {
    /// The root command's help text: where the commands, exit codes and JSON outputs are described.
    static let overview = """
        Every command and subcommand has --help with an example. Arrays are read and written as .npy \
        or, by extension, .fvecs (vectors) and .ivecs (ids). One command per line, the exit codes \
        (0 success, 1 error, 64 usage error; gate: 0 pass, 1 fail, 2 bad input) and the keys of every \
        --json output: docs/cli.md.

        Examples:
          stasis space create --classes 1000 space.safetensors
          stasis index create --space space.safetensors gallery.stasis
          stasis index search gallery.stasis queries.npy --k 10 --json
          stasis gate --report report.json --margin -0.01
        """
}
