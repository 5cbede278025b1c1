// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets over the validation of untrusted input (the SSP target URL, the SSP headers,
// the GP Connect JWT, the JSON reader). Kept out of the main package: it only builds with
// `-sanitize=fuzzer`, which provides libFuzzer's driver. Run with `Fuzz/run.sh`.
let package = Package(
    name: "SwitchboardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "SwitchboardFuzz",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "SwitchboardModules", package: "switchboard"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
