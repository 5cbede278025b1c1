import Synchronization

/// A value set once, later, that callers can wait for: how a listener tells its starters the
/// address it bound to — or why it could not bind, so that nobody waits for ever.
public final class AwaitedValue<Value: Sendable>: Sendable {
    private let state = Mutex<(result: Result<Value, any Error>?, waiting: [CheckedContinuation<Value, any Error>])>((nil, []))

    public init() {}

    /// Sets the value and resumes everyone waiting for it.
    public func set(_ value: Value) {
        settle(.success(value))
    }

    /// Records why there will be no value; everyone waiting, and everyone who asks later, gets `error`.
    public func fail(_ error: any Error) {
        settle(.failure(error))
    }

    private func settle(_ result: Result<Value, any Error>) {
        let waiting = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(with: result) }
    }

    /// Whether a value or a failure has been recorded.
    public var isSettled: Bool { state.withLock { $0.result != nil } }

    /// The value, once it is set; throws the error it failed with.
    public func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Value, any Error>? = state.withLock { state in
                if let result = state.result { return result }
                state.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
