import Synchronization
import NIOCore

/// The open consumer connections and whether each is in the middle of an exchange, so that a
/// graceful shutdown can close the idle ones at once, let the busy ones finish their answer,
/// and know when the last has gone.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: (channel: any Channel, busy: Bool)] = [:]
        var shuttingDown = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.connections.count } }
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Registers `channel`; `false` (and nothing registered) when `maximum` are open already or
    /// shutdown has begun.
    func add(_ channel: any Channel, maximum: Int) -> Bool {
        state.withLock { state in
            guard !state.shuttingDown, state.connections.count < maximum else { return false }
            state.connections[ObjectIdentifier(channel)] = (channel, false)
            return true
        }
    }

    func mark(_ channel: any Channel, busy: Bool) {
        state.withLock { $0.connections[ObjectIdentifier(channel)]?.busy = busy }
    }

    func remove(_ channel: any Channel) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connections.removeValue(forKey: ObjectIdentifier(channel))
            guard state.connections.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops taking connections and closes the idle ones; busy ones close after their answer
    /// (which says `Connection: close`).
    func beginShutdown() {
        let idle = state.withLock { state in
            state.shuttingDown = true
            return state.connections.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Closes every connection still open.
    func closeAll() {
        for channel in state.withLock({ $0.connections.values.map(\.channel) }) { channel.close(promise: nil) }
    }

    /// Returns once no connection is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let empty = state.withLock { state in
                if state.connections.isEmpty { return true }
                state.waiters.append(waiter)
                return false
            }
            if empty { waiter.resume() }
        }
    }
}
