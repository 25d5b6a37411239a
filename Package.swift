// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Lumen",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lumenctl", targets: ["lumenctl"]),
        .executable(name: "lumen-engine", targets: ["lumen-engine"]),
        .executable(name: "lumen-agent", targets: ["lumen-agent"]),
        .library(name: "LumenManifest", targets: ["LumenManifest"]),
        .library(name: "LumenStore", targets: ["LumenStore"]),
        .library(name: "LumenCtl", targets: ["LumenCtl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: [
        .target(
            name: "LumenAPI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenManifest",
            dependencies: ["LumenAPI", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenEngine",
            dependencies: [
                "LumenAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenStore",
            dependencies: [
                "LumenManifest",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenRouting",
            dependencies: ["LumenAPI", "LumenManifest"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenGateway",
            dependencies: [
                "LumenStore",
                "LumenRouting",
                "LumenAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CLumenProcess"),
        .target(
            name: "LumenAgent",
            dependencies: [
                "CLumenProcess",
                "LumenRouting",
                "LumenGateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenCtl",
            dependencies: [
                "LumenRouting",
                "LumenManifest",
                "LumenStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LumenTestSupport",
            dependencies: ["LumenManifest", "LumenStore", "LumenCtl", "LumenEngine"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lumenctl",
            dependencies: ["LumenCtl"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lumen-agent",
            dependencies: ["LumenAgent", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lumen-engine",
            dependencies: ["LumenEngine", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lumenctl-bench",
            dependencies: ["LumenTestSupport"],
            path: "Benchmarks/lumenctl-bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenAPITests",
            dependencies: ["LumenAPI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenRoutingTests",
            dependencies: ["LumenRouting", "LumenAPI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenGatewayTests",
            dependencies: ["LumenGateway", "LumenManifest"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenEngineTests",
            dependencies: ["LumenEngine", "LumenTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenManifestTests",
            dependencies: ["LumenManifest", "LumenTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenStoreTests",
            dependencies: ["LumenStore", "LumenTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenAgentTests",
            dependencies: ["LumenAgent", "LumenManifest"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenCtlTests",
            dependencies: ["LumenCtl", "LumenTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "LumenTestSupport", "lumenctl", "lumen-agent", "lumen-engine", "LumenAPI", "LumenAgent",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
