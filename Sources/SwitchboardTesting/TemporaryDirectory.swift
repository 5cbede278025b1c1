public import Foundation

/// A folder under the system's temporary directory, removed when the body returns.
public func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Paths inside this repository, for tests that read the committed samples.
public enum Repository {
    /// The repository root (found from this file's path).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let routingTables = root.appendingPathComponent("RoutingTables")
    public static let sampleLDIF = routingTables.appendingPathComponent("sds-export-sample.ldif")

    /// Copies a folder of the repository into `destination`.
    public static func copy(_ source: URL, to destination: URL) throws {
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: source, to: destination)
    }
}
