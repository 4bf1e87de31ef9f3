// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Paychan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BitcoinPrimitives", targets: ["BitcoinPrimitives"]),
        .library(name: "ChannelStateMachine", targets: ["ChannelStateMachine"]),
        .library(name: "ChannelManager", targets: ["ChannelManager"]),
        .library(name: "ChannelTCP", targets: ["ChannelTCP"]),
        // Adapter: a Bitcoin Core node over JSON-RPC as the managers' chain backend.
        .library(name: "PaychanBitcoinCore", targets: ["PaychanBitcoinCore"]),
        .library(name: "PaychanPostgres", targets: ["PaychanPostgres"]),
        .executable(name: "paychan", targets: ["paychan"]),
        // Test infrastructure only: the child process of the crash tests.
        .executable(name: "paychan-crash-child", targets: ["PaychanCrashChild"]),
        // Fuzzing: Scripts/fuzz builds it with libFuzzer; a plain build replays corpora.
        .executable(name: "PaychanFuzz", targets: ["PaychanFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Tests only: certificates made at test time (PaychanTLSTestSupport).
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Documentation only: `swift package generate-documentation` (Scripts/docs).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "CShims",
            path: "CShims",
            exclude: [],
            sources: ["src", "proto"],
            publicHeadersPath: "include",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Wno-unused-parameter"])],
            linkerSettings: [
                .linkedLibrary("secp256k1"),
                .linkedLibrary("crypto"),
                .linkedLibrary("protobuf-c"),
            ]
        ),
        .target(name: "BitcoinPrimitives", dependencies: ["CShims"]),
        .target(name: "ChannelStateMachine", dependencies: ["BitcoinPrimitives", "CShims"]),
        .target(
            name: "ChannelManager",
            dependencies: [
                "ChannelStateMachine", "BitcoinPrimitives",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ChannelTCP",
            dependencies: [
                "ChannelManager", "ChannelStateMachine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Adapter: Bitcoin Core's JSON-RPC (AsyncHTTPClient) as a ChainBackend.
        .target(
            name: "PaychanBitcoinCore",
            dependencies: [
                "ChannelManager", "BitcoinPrimitives",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Adapter: a ChannelStore on PostgreSQL.
        .target(
            name: "PaychanPostgres",
            dependencies: [
                "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "paychan",
            dependencies: [
                "CShims",
                "BitcoinPrimitives",
                "ChannelStateMachine",
                "ChannelManager",
                "ChannelTCP",
                "PaychanBitcoinCore",
                "PaychanPostgres",
                // The bench's throw-away TLS certificate (tcp-1ch-tls, tcp-100ch-tls).
                "PaychanTLSTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Test infrastructure: the child process the crash tests (ChannelManagerTests/Crash) kill.
        // Fuzzing (Scripts/fuzz): the targets, and libFuzzer's entry point or a corpus replayer.
        .target(
            name: "PaychanFuzzTargets", dependencies: ["BitcoinPrimitives", "ChannelStateMachine", "ChannelManager"]),
        .executableTarget(name: "PaychanFuzz", dependencies: ["PaychanFuzzTargets"]),
        .executableTarget(
            name: "PaychanCrashChild",
            dependencies: ["BitcoinPrimitives", "ChannelStateMachine", "ChannelManager"]
        ),
        .testTarget(
            name: "PaychanFuzzTests", dependencies: ["PaychanFuzzTargets", "ChannelManager", "BitcoinPrimitives"]),
        .testTarget(name: "BitcoinPrimitivesTests", dependencies: ["BitcoinPrimitives", "CShims"]),
        .testTarget(
            name: "ChannelStateMachineTests", dependencies: ["ChannelStateMachine", "BitcoinPrimitives", "CShims"]),
        .testTarget(
            name: "ChannelManagerTests",
            dependencies: [
                "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives", "CShims", "ChannelStoreConformance",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PaychanCLITests",
            dependencies: [
                "paychan", "BitcoinPrimitives", "ChannelStateMachine", "ChannelManager", "ChannelTCP",
                "PaychanBitcoinCore",
                "PaychanTestSupport", "PaychanTLSTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "ReadmeExamplesTests",
            dependencies: ["ChannelTCP", "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives"]),
        .testTarget(
            name: "ChannelTCPTests",
            dependencies: [
                "ChannelTCP", "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives", "PaychanTestSupport",
                "PaychanTLSTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        // Runs the built `paychan` binary (the dependency makes sure it is built first).
        .testTarget(name: "PaychanTests", dependencies: ["paychan", "PaychanTestSupport"]),
        // The Bitcoin Core adapter: recorded JSON-RPC exchanges replayed from a loopback server,
        // and live tests against a regtest bitcoind when PAYCHAN_BITCOIND names one.
        .testTarget(
            name: "PaychanBitcoinCoreTests",
            dependencies: [
                "PaychanBitcoinCore", "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives",
                "PaychanTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Recordings")]),
        // The PostgreSQL store against a real server (PAYCHAN_POSTGRES_URL; skipped without).
        .testTarget(
            name: "PaychanPostgresTests",
            dependencies: [
                "PaychanPostgres", "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives",
                "ChannelStoreConformance",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]),
        // Test infrastructure: the store conformance cases and record fixtures, run by the test
        // target of each store (in-memory and SQLite, PostgreSQL).
        .target(
            name: "ChannelStoreConformance",
            dependencies: ["ChannelManager", "ChannelStateMachine", "BitcoinPrimitives"],
            path: "Tests/ChannelStoreConformance"),
        // Test infrastructure shared by test targets (a raw TCP peer).
        .target(
            name: "PaychanTestSupport",
            dependencies: [
                "ChannelStateMachine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/PaychanTestSupport"),
        // Test infrastructure: certificate authorities, server certificates (valid, expired,
        // self-signed) and their keys, made at test time, written as PEM files (also the
        // certificate of the bench's TLS figures).
        .target(
            name: "PaychanTLSTestSupport",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Tests/PaychanTLSTestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
