// swift-tools-version: 6.1
import PackageDescription

// Layers (the arrow is "may import"), as docs/architecture.md explains; each target's
// dependencies below are exactly the modules it imports:
//   gradsieve (CLI), gradsieve-bench -> SieveCluster -> SieveCore (pure) -> SieveWire, SieveSelect, SievePolicy, Crypto
//                                                   \-> SieveUV -> CLibUV
//                                                   \-> SieveWire
//                                                   \-> SieveSeal (pure) -> SieveWire, Crypto; the cores import it too
//                                                   \-> SieveSelect -> SieveKernels -> CSieveKernels
//                                                   \-> SieveData   -> SieveKernels (SplitMix64 only)
//                                                   \-> SievePolicy -> COpenBLAS, SieveKernels (SplitMix64 only)
//
// Linux only (Debian's libuv1-dev, and libopenblas0 at run time for the policy; SievePolicy imports Glibc), so no
// platforms line: macOS is not a supported platform.

let package = Package(
    name: "gradsieve",
    products: [
        .executable(name: "gradsieve", targets: ["gradsieve"]),
        .executable(name: "gradsieve-bench", targets: ["gradsieve-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // OpenBLAS's cblas_sgemm behind a wrapper that dlopen()s libopenblas.so.0 on first use,
        // so that processes which never multiply matrices (select, workers) do not start its
        // spinning threads (Sources/COpenBLAS/include/openblas_lazy.h).
        .target(name: "COpenBLAS"),
        .target(name: "SieveWire"),
        // Sealed frames after the cluster token's handshake: key derivation, sealer, opener.
        .target(name: "SieveSeal", dependencies: ["SieveWire", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "SieveUV", dependencies: ["CLibUV"]),
        // -O even in debug builds: the selection loops (facility location above all) are too slow
        // unoptimized for the test suite, which runs in debug.
        // The row kernels' AVX2 and portable paths (per-function target attributes, picked at run
        // time), optimized even in debug builds for the same reason.
        .target(name: "CSieveKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "SieveKernels", dependencies: ["CSieveKernels"], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "SieveData", dependencies: ["SieveKernels"]),
        .target(name: "SieveSelect", dependencies: ["SieveKernels"], swiftSettings: [.unsafeFlags(["-O"])]),
        // Optimized even in debug test builds: training runs inside the tests.
        .target(
            name: "SievePolicy",
            dependencies: ["COpenBLAS", "SieveKernels"],
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        // The cluster's logic, pure: the coordinator and worker cores, scheduling, the methods,
        // journal records. No sockets, no files, no clock or randomness of its own.
        .target(
            name: "SieveCore",
            dependencies: [
                "SieveWire", "SieveSeal", "SieveSelect", "SievePolicy",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SieveCluster",
            dependencies: [
                "SieveCore", "SieveSeal", "SieveWire", "SieveUV", "SieveData", "SieveSelect", "SieveKernels", "SievePolicy",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "gradsieve",
            dependencies: [
                "SieveCluster", "SieveCore", "SieveData", "SieveWire", "SieveSelect", "SievePolicy", "SieveUV",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The micro-benchmarks (`gradsieve bench ...` runs this program).
        .executableTarget(
            name: "gradsieve-bench",
            dependencies: [
                "SieveCluster", "SieveCore", "SieveData", "SieveKernels", "SieveSeal", "SieveSelect", "SieveUV", "SieveWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SieveWireTests", dependencies: ["SieveWire"]),
        .testTarget(name: "SieveSealTests", dependencies: ["SieveSeal", "SieveWire", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SieveUVTests", dependencies: ["SieveUV", "CLibUV"]),
        .testTarget(name: "SieveKernelsTests", dependencies: ["SieveKernels"]),
        .testTarget(name: "SieveDataTests", dependencies: ["SieveData", "SieveKernels"]),
        .testTarget(name: "SieveSelectTests", dependencies: ["SieveSelect", "SieveKernels"]),
        .testTarget(
            name: "SieveCoreTests",
            dependencies: ["SieveCore", "SievePolicy", "SieveSeal", "SieveSelect", "SieveWire"]
        ),
        .testTarget(
            name: "SieveClusterTests",
            dependencies: ["SieveCluster", "SieveCore", "SieveData", "SievePolicy", "SieveWire"]
        ),
        .testTarget(name: "SievePolicyTests", dependencies: ["SievePolicy"]),
        // The two executables are dependencies so that they are built: the tests run them.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SieveData", "SieveSelect", "SieveWire", "gradsieve", "gradsieve-bench"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
