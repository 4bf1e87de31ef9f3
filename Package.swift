// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Paychan",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "BitcoinPrimitives", targets: ["BitcoinPrimitives"]),
        .library(name: "ChannelStateMachine", targets: ["ChannelStateMachine"]),
        .executable(name: "paychan", targets: ["paychan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
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
        .executableTarget(
            name: "paychan",
            dependencies: [
                "BitcoinPrimitives",
                "ChannelStateMachine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BitcoinPrimitivesTests", dependencies: ["BitcoinPrimitives", "CShims"]),
        .testTarget(
            name: "ChannelStateMachineTests", dependencies: ["ChannelStateMachine", "BitcoinPrimitives", "CShims"]),
    ],
    swiftLanguageModes: [.v6]
)
