/// Where the stores' background work runs — a PostgreSQL store's connection pool — so that none of
/// it outlives the process's own work. A process runs its work inside ``run(_:)``; a store opened
/// there starts its background work in that scope's task group, and it is cancelled when the work
/// ends (after a server's services have stopped, so the audit writer drains into a live pool).
public enum StoreTasks {
    /// Why a store could not start its background work.
    public struct OutsideScope: Error, CustomStringConvertible {
        public var description: String {
            "a PostgreSQL store was opened outside StoreTasks.run, so its connection pool has nowhere to run"
        }
    }

    struct Runner: Sendable {
        let work: AsyncStream<@Sendable () async -> Void>.Continuation
    }

    @TaskLocal static var runner: Runner?

    /// Runs `body`; background work that stores opened inside it start runs beside it, and is
    /// cancelled once `body` has returned or thrown.
    public static func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        let (work, submit) = AsyncStream<@Sendable () async -> Void>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { tasks in
                    for await item in work { tasks.addTask { await item() } }
                }
            }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await $runner.withValue(Runner(work: submit)) { try await body() })
            } catch {
                result = .failure(error)
            }
            submit.finish()
            group.cancelAll()
            try await group.waitForAll()
            return try result.get()
        }
    }

    /// Starts `work` (which runs until cancelled) in the enclosing ``run(_:)``'s task group.
    public static func start(_ work: @escaping @Sendable () async -> Void) throws(OutsideScope) {
        guard let runner else { throw OutsideScope() }
        runner.work.yield(work)
    }
}
