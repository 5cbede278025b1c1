import Foundation
import SwitchboardTesting
import Testing

/// A clone on its own must build, run and pass its tests: no file in the repository may name a
/// path outside it (a sibling folder, this machine's home or work folders).
@Suite struct RepositoryBoundaryTests {
    /// A path a file names that leads outside the repository.
    struct Escape: CustomStringConvertible {
        var file: String
        var line: Int
        var path: String
        var description: String { "\(file):\(line) names \(path), outside the repository" }
    }

    /// Absolute folders that belong to one machine, never to a clone.
    static let machineFolders = ["work", "home", "root"].map { "/" + $0 + "/" }

    /// Every relative path in `text` that climbs out of a folder (two dots and a slash, not
    /// inside a URL or a longer path) and so leaves `root`, and every machine folder it names. In Swift code a path resolves from the root (the
    /// working folder of the tests and the tools); a Markdown link's target and a package
    /// manifest's paths resolve from the file's own folder; a script or a document may mean
    /// either (scripts `cd` to the root or to their own folder), and must stay inside from one.
    static func escapes(in text: String, file: String, root: URL) -> [Escape] {
        let folder = root.appendingPathComponent(file).deletingLastPathComponent()
        let manifest = file.hasSuffix("Package.swift")
        let code = file.hasSuffix(".swift") && !manifest
        var found: [Escape] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(line)
            var position = 0
            while position + 1 < characters.count {
                defer { position += 1 }
                guard characters[position] == ".", characters[position + 1] == "." else { continue }
                if position > 0, characters[position - 1].isLetter || characters[position - 1].isNumber || "./_-~$})".contains(characters[position - 1]) {
                    continue
                }
                let markdownLink = position > 1 && characters[position - 1] == "(" && characters[position - 2] == "]"
                var end = position
                while end < characters.count, !" \t\"'`),;]<>|".contains(characters[end]) { end += 1 }
                let path = String(characters[position..<end])
                position = end
                guard path.hasPrefix(".." + "/") else { continue }
                let outside = if markdownLink || manifest {
                    leaves(path, from: folder, root: root)
                } else if code {
                    leaves(path, from: root, root: root)
                } else {
                    leaves(path, from: root, root: root) && leaves(path, from: folder, root: root)
                }
                if outside {
                    found.append(Escape(file: file, line: index + 1, path: path))
                }
            }
            for machine in machineFolders where line.contains(machine) {
                found.append(Escape(file: file, line: index + 1, path: machine))
            }
        }
        return found
    }

    static func leaves(_ path: String, from folder: URL, root: URL) -> Bool {
        let resolved = folder.appendingPathComponent(path).standardizedFileURL.path
        let base = root.standardizedFileURL.path
        return !(resolved == base || resolved.hasPrefix(base + "/"))
    }

    /// The files of the repository: git's list when there is one, else every file outside the
    /// build and tool folders.
    static func files(root: URL) throws -> [String] {
        let arguments = ["-C", root.path, "ls-files", "--cached", "--others", "--exclude-standard"]
        if let git = try? BackgroundProgram.run("/usr/bin/git", arguments, discardErrors: true), git.status == 0 {
            return git.output.split(separator: "\n").map(String.init)
        }
        let skipped: Set<String> = [".build", ".git", ".venv", "var", ".swiftpm"]
        var result: [String] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            if skipped.contains(url.lastPathComponent) || url.lastPathComponent.hasPrefix(".build") {
                enumerator?.skipDescendants()
                continue
            }
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == false {
                result.append(String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
            }
        }
        return result
    }

    @Test func noFileNamesAPathOutsideTheRepository() throws {
        let root = Repository.root
        var escapes: [Escape] = []
        var checked = 0
        for file in try Self.files(root: root) {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(file).path),
                  !data.contains(0), let text = String(data: data, encoding: .utf8) else { continue }
            checked += 1
            escapes += Self.escapes(in: text, file: file, root: root)
        }
        #expect(checked > 200, "found only \(checked) text files")
        #expect(escapes.isEmpty, "\(escapes.map(\.description).joined(separator: "\n"))")
    }

    /// The check itself finds what it must, and leaves alone what stays inside.
    @Test func theCheckFindsEscapes() {
        let root = URL(fileURLWithPath: "/srv/switchboard")
        let sibling = ".." + "/shared/fixtures/gpconnect"
        let outside = Self.escapes(in: "fixtures = \"\(sibling)\"\n cat \(sibling)/x.json", file: "Sources/A/B.swift", root: root)
        #expect(outside.map(\.line) == [1, 2], "from the root, where code runs, a sibling folder is outside")
        #expect(Self.escapes(in: "cd \"$(dirname \"$0\")/..\"", file: "scripts/demo", root: root).isEmpty, "a script's own parent folder is the root")
        #expect(Self.escapes(in: ".package(path: \"..\")", file: "Benchmarks/Package.swift", root: root).isEmpty)
        #expect(Self.escapes(in: "/\\(h.practiceAddress)/../../../etc/passwd https://gp.example/A/../B", file: "Tests/X.swift", root: root).isEmpty,
                "paths inside a URL are a request's, not the file system's")
        let up = ".." + "/"
        #expect(Self.escapes(in: "see \(up)\(up)\(up)Docs/x.md", file: "Docs/console/a.md", root: root).count == 1)
        #expect(Self.escapes(in: "mkdir -p \(up)var", file: "Fuzz/run.sh", root: root).isEmpty, "a script in a folder of its own may mean that folder")
        #expect(Self.escapes(in: "see [the guide](../Docs/x.md)", file: "Docs/console/a.md", root: root).isEmpty, "a link resolves from its file")
        #expect(Self.escapes(in: "see [the spec](\(up)\(up)\(up)SPEC.md)", file: "Docs/console/a.md", root: root).count == 1)
        #expect(Self.escapes(in: "open " + "/wo" + "rk/shared/SPEC.md", file: "README.md", root: root).count == 1)
    }
}
