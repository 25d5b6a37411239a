// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "LumenJinja",
    products: [
        .library(name: "LumenJinja", targets: ["LumenJinja"]),
    ],
    targets: [
        .target(
            name: "LumenJinja",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LumenJinjaTests",
            dependencies: ["LumenJinja"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
