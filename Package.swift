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
        // The mutation fuzzer for the parsers that read strangers' bytes (tests run it; not installed).
        .executable(name: "sluice-fuzz", targets: ["SluiceFuzz"]),
        // The libraries other Swift programs may use; `public` in them is documented API.
        .library(name: "SluiceFormats", targets: ["SluiceFormats"]),
        .library(name: "SluiceKernels", targets: ["SluiceKernels"]),
        .library(name: "SluiceEngine", targets: ["SluiceEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Without its default traits: swift-configuration support is not used.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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

        // The engine: ledger, disk budget, workspace, fetchers, scheduler and the stage protocol.
        .target(
            name: "SluiceEngine",
            dependencies: [
                "SluiceFormats",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),

        // Concrete stages: the corpus builder (preprocess), external commands, later analysis.
        .target(
            name: "SluicePipelines",
            dependencies: [
                "SluiceFormats", "SluiceKernels", "SluiceEngine",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings),

        // The live dashboard and its HTTP API (hummingbird): views, event stream, metrics, control, submissions.
        .target(
            name: "SluiceDashboard",
            dependencies: [
                "SluiceFormats", "SluiceEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // A small HTTP/1.1 file server on loopback (Range, redirects, injected faults) for the demo and tests.
        .target(
            name: "SluiceLoopback",
            dependencies: [
                "SluiceFormats",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),

        // The command-line tool: argument parsing, progress display, exit codes; no logic of its own.
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceFormats",
                "SluiceKernels",
                "SluicePipelines",
                "SluiceEngine",
                "SluiceDashboard",
                "SluiceLoopback",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Benchmarks are not tests: scripts/bench/parquet_vs_pyarrow.sh runs this next to pyarrow.
        .executableTarget(
            name: "sluice-bench-parquet",
            dependencies: ["SluiceFormats"],
            path: "Benchmarks/sluice-bench-parquet",
            swiftSettings: swiftSettings),

        // What tests share: temporary folders, fixtures, the sluice binary, a pipeline harness over loopback.
        .target(
            name: "SluiceTestSupport",
            dependencies: [
                "SluiceFormats", "SluiceEngine", "SluiceLoopback",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
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
            dependencies: [
                "SluicePipelines", "SluiceEngine", "SluiceFormats", "SluiceLoopback", "SluiceTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceEngineTests",
            dependencies: [
                // Not SluicePipelines: the engine's tests drive the runner with stages of their own.
                "SluiceEngine", "SluiceLoopback", "SluiceFormats", "SluiceTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceLoopbackTests",
            dependencies: ["SluiceLoopback", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "SluiceFuzz",
            dependencies: ["SluiceFormats", "SluiceEngine", "SluicePipelines"],
            path: "Tests/SluiceFuzz",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: [
                "SluiceFormats", "SluiceKernels", "SluiceTestSupport", "SluiceLoopback",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CLibraryTests",
            dependencies: ["CLinearAlgebra", "CZstd", "CDeflate", "CSnappy"],
            swiftSettings: swiftSettings),
    ]
)
