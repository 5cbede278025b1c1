import Synchronization

/// A value set once, later, that callers can wait for: how a listener tells its starters the
/// address it bound to.
public final class AwaitedValue<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiting: [CheckedContinuation<Value, Never>])>((nil, []))

    public init() {}

    /// Sets the value and resumes everyone waiting for it.
    public func set(_ value: Value) {
        let waiting = state.withLock { state in
            state.value = value
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(returning: value) }
    }

    /// The value, once it is set.
    public func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                if let value = state.value { return value }
                state.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
