public import Logging
public import ServiceLifecycle
public import SwitchboardDirectory

/// Keeps this process's directory snapshot current: checks the store's generation every
/// `interval` and reloads when another process (the CLI, an admin on another node) changed it.
public struct DirectoryRefreshService: Service {
    public let directory: Directory
    public let interval: Duration
    public let logger: Logger

    public init(directory: Directory, interval: Duration, logger: Logger) {
        self.directory = directory
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                if try await directory.refresh() {
                    logger.info("directory reloaded", metadata: ["sb.directory.generation": "\(directory.snapshot.generation)"])
                }
            } catch {
                logger.warning("directory refresh failed; serving the last snapshot", metadata: ["sb.error": "\(error)"])
            }
        }
    }
}
