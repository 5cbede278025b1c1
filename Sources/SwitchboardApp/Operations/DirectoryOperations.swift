public import Foundation
public import SwitchboardDirectory
import Logging
import SwitchboardPostgres
import SwitchboardStorage

/// The directory operations the CLI and the management API share: open the configured store,
/// import and export RoutingTables/, import SDS LDIF.
public struct DirectoryOperations: Sendable {
    public let configuration: DirectoryConfiguration

    public init(configuration: DirectoryConfiguration) {
        self.configuration = configuration
    }

    public var validator: DirectoryValidator { DirectoryValidator(endpointPolicy: configuration.endpointPolicy) }

    /// Opens the configured store and loads the directory from it.
    public func openDirectory() async throws -> Directory {
        try await Directory(store: try await openStore(), validator: validator)
    }

    public func openStore() async throws -> any DirectoryStore {
        switch try configuration.storeLocation {
        case .sqlite(let path):
            return try await StoreOpenError.opening("directory.store", at: path) {
                try SQLiteDirectoryStore(path: path, synchronous: configuration.synchronous)
            }
        case .postgres(let location):
            return try await StoreOpenError.opening("directory.store", at: location.description) {
                try await PostgresDirectoryStore(location: location, logger: Logger(label: "switchboard.directory.postgres"))
            }
        }
    }

    /// Reads and validates a RoutingTables folder without touching the store.
    public func readFolder(_ folder: URL) throws(DirectoryValidationError) -> RoutingTableFiles.Loaded {
        try RoutingTableFiles.read(folder: folder, validator: validator)
    }

    /// Makes the store equal to the folder's files (all-or-nothing).
    public func importFolder(_ folder: URL, into directory: Directory, author: ChangeAuthor, dryRun: Bool = false) async throws -> [EntryChange] {
        let loaded = try readFolder(folder)
        if dryRun { return directory.snapshot.tables.changes(to: loaded.tables) }
        do {
            return try await directory.replaceAll(with: loaded.tables, author: author).changes
        } catch DirectoryChangeError.invalid(var error) {
            for index in error.issues.indices {
                error.issues[index].location = error.issues[index].entry.flatMap { loaded.locations[$0] }
            }
            throw DirectoryChangeError.invalid(error)
        }
    }

    /// Writes the directory's canonical files into `folder`.
    public func exportFolder(_ folder: URL, from directory: Directory) throws {
        try RoutingTableFiles.write(directory.snapshot.tables, to: folder)
    }

    /// What an LDIF import did or would do.
    public struct LDIFImportOutcome: Sendable {
        public var changes: [EntryChange]
        public var notes: [String]
    }

    /// Merges the systems and endpoints of an SDS LDIF export into the directory (all-or-nothing).
    public func importLDIF(_ file: URL, into directory: Directory, author: ChangeAuthor, dryRun: Bool = false) async throws -> LDIFImportOutcome {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw DirectoryValidationError(issues: [ValidationIssue(entry: nil, field: nil, rule: .missingField,
                                                                    message: "cannot read \(file.path): \(error.localizedDescription)")])
        }
        let tables = directory.snapshot.tables
        let importer = SDSImport(file: file.lastPathComponent, catalogue: Set(tables.interactions.keys), knownOrganisations: tables.organisations)
        let result = try importer.run(text)
        var merged = tables
        for entry in result.entries { merged.put(entry) }
        let issues = validator.validate(merged)
        if !issues.isEmpty {
            throw DirectoryChangeError.invalid(DirectoryValidationError(issues: issues.map { issue in
                var issue = issue
                issue.location = issue.entry.flatMap { result.locations[$0] }
                return issue
            }))
        }
        if dryRun { return LDIFImportOutcome(changes: tables.changes(to: merged), notes: result.notes) }
        let applied = try await directory.merge(result.entries, author: author)
        return LDIFImportOutcome(changes: applied.changes, notes: result.notes)
    }
}
