// swift-tools-version: 6.1
import PackageDescription

/// Settings every Sluice module shares (STYLE.md: one array, as swift-nio and hummingbird do).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Sluice",
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceFormats", targets: ["SluiceFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, each behind a module map and a shim of static inline wrappers (C stays at the edge).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"]), .brew(["snappy"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CLinearAlgebra", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"]), .brew(["openblas", "lapack"])]),

        // Readers and writers: HDF5, h5ad, 10x HDF5, Matrix Market, Loom (and Parquet).
        .target(
            name: "SluiceFormats",
            dependencies: ["CHDF5", "CDeflate", "CZlib", "CZstd", "CSnappy"],
            swiftSettings: swiftSettings),

        // Numeric work on in-memory chunks: QC, medians, rank-value tokens (knows nothing of files).
        .target(
            name: "SluiceKernels",
            dependencies: ["SluiceFormats", "CLinearAlgebra"],
            swiftSettings: swiftSettings),

        // Concrete stages: the corpus builder (preprocess), later analysis and external commands.
        .target(
            name: "SluicePipelines",
            dependencies: ["SluiceFormats", "SluiceKernels"],
            swiftSettings: swiftSettings),

        // The command-line tool: argument parsing, progress display, exit codes; no logic of its own.
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceFormats",
                "SluicePipelines",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // Benchmarks are not tests: scripts/bench/parquet_vs_pyarrow.sh runs this next to pyarrow.
        .executableTarget(
            name: "sluice-bench-parquet",
            dependencies: ["SluiceFormats"],
            path: "Benchmarks/sluice-bench-parquet",
            swiftSettings: swiftSettings),

        .target(
            name: "SluiceTestSupport",
            dependencies: ["SluiceFormats"],
            path: "Tests/SluiceTestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceFormatsTests",
            dependencies: ["SluiceFormats", "SluiceTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceKernelsTests",
            dependencies: ["SluiceKernels", "SluiceTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluicePipelinesTests",
            dependencies: ["SluicePipelines", "SluiceTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CLibraryTests",
            dependencies: ["CLinearAlgebra", "CZstd", "CDeflate", "CSnappy"],
            swiftSettings: swiftSettings),
    ]
)
