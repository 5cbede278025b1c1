// swift-tools-version:6.1
import PackageDescription

// Release-build benchmarks, kept out of the main package so that `swift test` and CI never
// build or run them. Run from this folder:
//   swift package --disable-sandbox benchmark
let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DirectoryBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardCore", package: "switchboard"),
                .product(name: "SwitchboardDirectory", package: "switchboard"),
            ],
            path: "DirectoryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
