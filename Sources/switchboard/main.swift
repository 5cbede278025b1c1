import ArgumentParser
import Foundation
import SwitchboardApp

/// Parses the command line and runs the command (the asynchronous entry point of the parser).
func runCommand() async {
    await Switchboard.main(nil)
}

// Before any task runs: `switchboard serve` sizes its event loops from the configuration and runs
// every task on them.
ProcessPreparation.prepare(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
await runCommand()
