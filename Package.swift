// swift-tools-version: 6.0
// Stasis: upgrade an embedding model without re-encoding the gallery.
// Layers (dependencies point down): StasisCABI (C exports) -> StasisCore (behaviour)
// -> CFaissShim (C++ over Debian's libfaiss.a) and COpenBLAS (cblas + LAPACK prototypes).
import PackageDescription

let package = Package(
    name: "stasis",
    products: [
        // libstasis.so: the only artefact C, C++ and Python callers link or load.
        .library(name: "stasis", type: .dynamic, targets: ["StasisCABI"]),
        .executable(name: "stasis-cli", targets: ["stasis-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(
            name: "CFaissShim",
            path: "Sources/CFaissShim",
            exclude: ["ompcompat"],
            cxxSettings: [.headerSearchPath("ompcompat")],
            linkerSettings: [
                .linkedLibrary("faiss"),
                .linkedLibrary("openblas"),
                .linkedLibrary("gomp"),
            ]
        ),
        .target(name: "StasisCore", dependencies: ["CFaissShim", "COpenBLAS"]),
        .target(name: "StasisCABI", dependencies: ["StasisCore"]),
        .executableTarget(
            name: "stasis-cli",
            dependencies: [
                "StasisCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // CFaissShim directly too: the kernel tests call its test hooks.
        .testTarget(name: "StasisCoreTests", dependencies: ["StasisCore", "CFaissShim"]),
    ],
    cxxLanguageStandard: .cxx17
)
