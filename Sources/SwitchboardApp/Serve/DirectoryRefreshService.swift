public import Logging
public import ServiceLifecycle
public import SwitchboardDirectory
import SwitchboardCore

/// Keeps this process's directory snapshot current. Where the store announces commits
/// (PostgreSQL's `LISTEN`/`NOTIFY`), it reloads as soon as one is announced; it also checks the
/// store's generation every `interval`, which catches what a lost connection missed and changes
/// made to a store that announces nothing (SQLite, written by the CLI).
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
        await withTaskGroup(of: Void.self) { group in
            if let feed = directory.store as? any DirectoryChangeFeed {
                group.addTask { await listen(feed) }
            }
            group.addTask { await poll() }
            await group.next()
            group.cancelAll()
        }
    }

    private func poll() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Ends at once when the process stops, not after up to one interval (at most 60 s).
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await refresh(reason: "poll")
        }
    }

    private func listen(_ feed: any DirectoryChangeFeed) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await feed.listenForCommits { generation in
                    guard generation != directory.snapshot.generation else { return }
                    await refresh(reason: "notified")
                }
            } catch {
                logger.warning("directory change notifications lost; polling until they are back", metadata: [LogKey.error: "\(error)"])
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    private func refresh(reason: String) async {
        do {
            if try await directory.refresh() {
                logger.info("directory reloaded", metadata: [LogKey.directoryGeneration: "\(directory.snapshot.generation)", LogKey.directoryReason: "\(reason)"])
            }
        } catch {
            logger.warning("directory refresh failed; serving the last snapshot", metadata: [LogKey.error: "\(error)"])
        }
    }
}
