import Foundation
import SwitchboardTesting
import Testing
import Yams

/// Docs/management-api.yaml describes every route the management listener serves.
@Suite struct ManagementAPIDocumentTests {
    @Test func everyRouteIsDocumented() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("Docs/management-api.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        var served: [(String, [String])] = [
            ("/admin/batch", ["post"]), ("/admin/history", ["get"]), ("/audit/exchanges", ["get"]), ("/audit/exchanges/{id}", ["get"]),
            ("/audit/export", ["get"]), ("/audit/report", ["get"]), ("/audit/verify", ["get"]), ("/health", ["get"]), ("/ready", ["get"]),
            ("/metrics", ["get"]),
        ]
        for collection in ["organisations", "systems", "endpoints", "interactions", "agreements"] {
            served += [("/admin/\(collection)", ["get", "post"]), ("/admin/\(collection)/{key}", ["get", "put", "delete"])]
        }
        for (path, methods) in served {
            let operations = paths[path] as? [String: Any]
            for method in methods { #expect(operations?[method] != nil, "\(method.uppercased()) \(path) is not documented") }
        }
        #expect(Set(paths.keys) == Set(served.map(\.0)), "the document lists only what is served")
    }
}
