// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Paychan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BitcoinPrimitives", targets: ["BitcoinPrimitives"]),
        .library(name: "ChannelStateMachine", targets: ["ChannelStateMachine"]),
        .library(name: "ChannelManager", targets: ["ChannelManager"]),
        .executable(name: "paychan", targets: ["paychan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
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
        .executableTarget(
            name: "paychan",
            dependencies: [
                "CShims",
                "BitcoinPrimitives",
                "ChannelStateMachine",
                "ChannelManager",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "BitcoinPrimitivesTests", dependencies: ["BitcoinPrimitives", "CShims"]),
        .testTarget(
            name: "ChannelStateMachineTests", dependencies: ["ChannelStateMachine", "BitcoinPrimitives", "CShims"]),
        .testTarget(
            name: "ChannelManagerTests",
            dependencies: [
                "ChannelManager", "ChannelStateMachine", "BitcoinPrimitives", "CShims",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Runs the built `paychan` binary (the dependency makes sure it is built first).
        .testTarget(name: "PaychanTests", dependencies: ["paychan"]),
    ],
    swiftLanguageModes: [.v6]
)
