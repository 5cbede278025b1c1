import NIOCore
import NIOPosix
import SwitchboardProxy
import SwitchboardStorage

/// What a `switchboard serve` process sets up before anything else runs: as many event-loop
/// threads as `proxy.eventLoopThreads` asks, and those threads as the executor of every Swift
/// task, so that an exchange moves between the network and the pipeline without hopping
/// between NIO's threads and Swift's cooperative pool.
public enum ProcessPreparation {
    /// Call once, first thing in `main`, with the command-line arguments after the program name.
    /// Does nothing for other commands. A configuration that does not load is left for the
    /// command itself to report.
    public static func prepare(arguments: [String], environment: [String: String]) {
        guard arguments.first == "serve" else { return }
        let file = configFile(arguments) ?? environment[ConfigurationLoader.configFileVariable]
        if let configuration = try? ConfigurationLoader.load(file: file, environment: environment), configuration.proxy.eventLoopThreads > 0 {
            NIOSingletons.groupLoopCountSuggestion = configuration.proxy.eventLoopThreads
        }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Runs a command's work with a scope for the stores' background work (a PostgreSQL store's
    /// connection pool, ``StoreTasks``): it runs beside the work and stops when the work ends.
    public static func run<Result: Sendable>(_ work: () async throws -> Result) async throws -> Result {
        try await StoreTasks.run(work)
    }

    static func configFile(_ arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return nil
    }
}
