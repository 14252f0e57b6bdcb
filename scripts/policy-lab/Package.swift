// swift-tools-version: 6.1
// A single-process laboratory for the built-in policy's GRPO regime (docs/results.md): the
// SievePolicy sources of the main package (symlinked), no cluster, no sockets.
import PackageDescription

let package = Package(
    name: "policy-lab",
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),
        .target(name: "CSieveKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "SieveKernels", dependencies: ["CSieveKernels"], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "SievePolicy", dependencies: ["COpenBLAS", "SieveKernels"], swiftSettings: [.unsafeFlags(["-O"])]),
        .executableTarget(name: "PolicyLab", dependencies: ["SievePolicy"], swiftSettings: [.unsafeFlags(["-O"])]),
        .executableTarget(name: "RevLab", dependencies: ["SievePolicy"], swiftSettings: [.unsafeFlags(["-O"])]),
    ],
    swiftLanguageModes: [.v5]
)
