import ArgumentParser
import Foundation
import SwitchboardApp

/// Parses the command line and runs the command. A failure is one line on standard error —
/// what failed and what to do — and exit status 1; the parser's own errors (usage, help) are
/// its to print.
func runCommand() async {
    do {
        var command = try await Switchboard.asyncParseAsRoot(nil)
        if var asynchronous = command as? any AsyncParsableCommand {
            try await ProcessPreparation.run { try await asynchronous.run() }
        } else {
            try command.run()
        }
    } catch where Switchboard.exitCode(for: error) != .failure {
        // The parser's own endings (help, --version, a usage error, an explicit exit code).
        Switchboard.exit(withError: error)
    } catch {
        for detail in (error as? OperationError)?.details ?? [] { printError(detail) }
        printError("Error: " + ErrorMessage.describe(error))
        Switchboard.exit(withError: ExitCode.failure)
    }
}

// Before any task runs: `switchboard serve` sizes its event loops from the configuration and runs
// every task on them.
ProcessPreparation.prepare(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
await runCommand()
