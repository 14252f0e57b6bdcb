// swift-tools-version: 6.1
import PackageDescription

// Layers (the arrow is "may import"), as docs/architecture.md explains:
//   gradsieve (CLI) -> SieveCluster -> SieveUV -> CLibUV
//                                  \-> SieveWire, SieveSelect -> SieveKernels -> CSieveKernels, SieveData
let package = Package(
    name: "gradsieve",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gradsieve", targets: ["gradsieve"])
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
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "SieveWire"),
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
        .target(
            name: "SieveCluster",
            dependencies: [
                "SieveWire", "SieveUV", "SieveData", "SieveSelect", "SieveKernels", "SievePolicy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "gradsieve",
            dependencies: [
                "SieveCluster", "SieveData", "SieveWire", "SieveSelect", "SievePolicy", "SieveUV", "SieveKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SieveWireTests", dependencies: ["SieveWire"]),
        .testTarget(name: "SieveUVTests", dependencies: ["SieveUV"]),
        .testTarget(name: "SieveKernelsTests", dependencies: ["SieveKernels"]),
        .testTarget(name: "SieveDataTests", dependencies: ["SieveData"]),
        .testTarget(name: "SieveSelectTests", dependencies: ["SieveSelect", "SieveKernels"]),
        .testTarget(name: "SieveClusterTests", dependencies: ["SieveCluster", "SieveWire", "SieveUV"]),
        .testTarget(name: "SievePolicyTests", dependencies: ["SievePolicy"]),
        .testTarget(name: "IntegrationTests", dependencies: ["SieveData", "SieveSelect", "SieveWire", "gradsieve"]),
    ],
    swiftLanguageModes: [.v5]
)
