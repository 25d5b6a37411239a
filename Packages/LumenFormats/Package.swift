// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "LumenFormats",
    targets: [
        // Internal API throughout (the files move into LumenEngine as they are); `-enable-testing`
        // lets the benchmark use it through `@testable import` in release builds too.
        .target(name: "LumenFormats", swiftSettings: swiftSettings + [.unsafeFlags(["-enable-testing"])]),
        .executableTarget(name: "quant-bench", dependencies: ["LumenFormats"], swiftSettings: swiftSettings),
        .testTarget(name: "LumenFormatsTests", dependencies: ["LumenFormats"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
    ]
)
