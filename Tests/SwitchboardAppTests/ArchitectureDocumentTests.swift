import Foundation
import SwitchboardTesting
import Testing

/// `Docs/architecture.md` names every library module of `Package.swift` and, for each, exactly
/// the modules it uses.
@Suite struct ArchitectureDocumentTests {
    /// Each Switchboard target of the manifest and the Switchboard targets it depends on.
    static func manifestGraph() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: Repository.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var graph: [String: Set<String>] = [:]
        for block in manifest.split(separator: "\n        .").dropFirst() where block.hasPrefix("target(") || block.hasPrefix("executableTarget(") {
            guard let name = block.firstMatch(of: /name: "(\w+)"/)?.1 else { continue }
            let uses = block.matches(of: /"(Switchboard\w+|switchboard)"/).map { String($0.1) }.filter { $0 != name }
            graph[String(name)] = Set(uses)
        }
        return graph
    }

    @Test func theModuleTableMatchesThePackage() throws {
        let graph = try Self.manifestGraph()
        #expect(graph.count >= 14, "\(graph.keys.sorted())")
        let document = try String(contentsOf: Repository.root.appendingPathComponent("Docs/architecture.md"), encoding: .utf8)
        let section = try #require(document.components(separatedBy: "## Modules").dropFirst().first?.components(separatedBy: "\n## ").first)
        var documented: [String: Set<String>] = [:]
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, let name = cells[0].firstMatch(of: /`(\w+)`/)?.1 else { continue }
            let uses: [String] = cells[2] == "—" ? [] : cells[2].split(separator: ",").map { part in
                let short = part.trimmingCharacters(in: .whitespaces)
                return short == "switchboard" ? short : "Switchboard" + short
            }
            documented[String(name)] = Set(uses)
        }
        for (module, uses) in graph.sorted(by: { $0.key < $1.key }) {
            #expect(documented[module] == uses, "\(module) uses \(uses.sorted()) in Package.swift; the table says \((documented[module] ?? []).sorted())")
        }
        #expect(Set(documented.keys) == Set(graph.keys), "the table names exactly the package's modules")
    }

    @Test func theTestTableNamesEveryTestTarget() throws {
        let manifest = try String(contentsOf: Repository.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = Set(manifest.split(separator: "\n        .").filter { $0.hasPrefix("testTarget(") }
            .compactMap { $0.firstMatch(of: /name: "(\w+)"/).map { String($0.1) } })
        #expect(targets.count >= 8, "\(targets.sorted())")
        let document = try String(contentsOf: Repository.root.appendingPathComponent("Docs/architecture.md"), encoding: .utf8)
        let section = try #require(document.components(separatedBy: "## Tests by layer").dropFirst().first?.components(separatedBy: "\n## ").first)
        let documented = Set(section.split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { $0.firstMatch(of: /`(\w+)`/).map { String($0.1) } })
        #expect(documented == targets, "the tests table names exactly the package's test targets")
    }
}
