import ArgumentParser
import Foundation
import SwitchboardApp
import SwitchboardDirectory

struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and change the routing directory: organisations, accredited systems, endpoints, interactions, sharing agreements.",
        discussion: """
            The directory decides who may call which GP practice system for which interaction. Every change is \
            validated as a whole (a change that would break a rule changes nothing), takes effect on running \
            proxies within a second, and is recorded in the history with your user name.

            Typical first steps:
              switchboard routes import RoutingTables     load the reviewed files into the store
              switchboard routes list                     see what is routed
              switchboard routes show 918999198001        one system and its endpoints
            """,
        subcommands: [
            RoutesList.self, RoutesShow.self, RoutesAdd.self, RoutesUpdate.self, RoutesRetire.self,
            RoutesImport.self, RoutesExport.self, RoutesImportLDIF.self, RoutesValidate.self, RoutesHistory.self,
        ]
    )
}

/// The configuration and directory a `routes` command works on.
struct RoutesContext {
    let configuration: SwitchboardConfiguration
    let operations: DirectoryOperations
    let directory: Directory

    static func open(_ global: GlobalOptions) async throws -> RoutesContext {
        let configuration = try global.loadConfiguration()
        let operations = DirectoryOperations(configuration: configuration.directory)
        let directory = try await reportingErrors { try await operations.openDirectory() }
        return RoutesContext(configuration: configuration, operations: operations, directory: directory)
    }

    /// The history author for a change made from this shell: `cli:<user>`.
    static func author(reason: String?, source: ChangeAuthor.Source = .cli) -> ChangeAuthor {
        ChangeAuthor(actor: "cli:\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? NSUserName())", source: source, reason: reason)
    }
}

/// Runs `body`, turning directory errors into one-line CLI errors after printing their details.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DirectoryValidationError {
        throw report(error)
    } catch DirectoryChangeError.invalid(let error) {
        throw report(error)
    } catch let error as DirectoryChangeError {
        throw CLIError(error.description)
    } catch let error as CLIError {
        throw error
    } catch let error as DirectoryStoreError {
        throw CLIError(error.description)
    }
}

private func report(_ error: DirectoryValidationError) -> CLIError {
    // A single problem that belongs to no file line (a folder that is not there) is the message itself.
    if error.issues.count == 1, let issue = error.issues.first, issue.location == nil, issue.entry == nil {
        return CLIError("nothing changed: \(issue.message)")
    }
    for issue in error.issues { printError(issue.description) }
    let first = error.issues.first.map { " (first: \($0.rule.rawValue))" } ?? ""
    return CLIError("nothing changed: \(error.issues.count) validation error\(error.issues.count == 1 ? "" : "s")\(first)")
}

/// Prints what a batch changed, one line per entry.
func printChanges(_ changes: [EntryChange], dryRun: Bool = false) {
    if changes.isEmpty {
        print(dryRun ? "no changes would be made" : "no changes: the directory already says this")
        return
    }
    for change in changes {
        print("\(dryRun ? "would be " : "")\(change.action.rawValue)  \(change.ref)")
    }
    let counts = Dictionary(grouping: changes, by: \.action).mapValues(\.count)
    let summary = EntryChange.Action.allCases.compactMap { action in counts[action].map { "\($0) \(action.rawValue)" } }.joined(separator: ", ")
    print("\(changes.count) change\(changes.count == 1 ? "" : "s")\(dryRun ? " (dry run, nothing written)" : ""): \(summary)")
}
