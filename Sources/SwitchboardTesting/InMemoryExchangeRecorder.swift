public import Foundation
public import SwitchboardAudit
import NIOConcurrencyHelpers

/// Keeps exchange records in memory (tests only): what was opened and what was completed.
public final class InMemoryExchangeRecorder: ExchangeRecorder {
    private let state = NIOLockedValueBox<(opened: [UUID], completed: [ExchangeRecord], deferred: [ExchangeRecord])>(([], [], []))
    private let failure = NIOLockedValueBox<(any Error)?>(nil)

    /// Makes `open` and `complete` throw `error` (or succeed again with `nil`).
    public func setFailure(_ error: (any Error)?) { failure.withLockedValue { $0 = error } }

    public init() {}

    public func open(_ record: ExchangeRecord) async throws {
        try recordOpen(record)
    }

    public func complete(_ record: ExchangeRecord) async throws {
        try recordComplete(record)
    }

    public func open(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        done(Result { try recordOpen(record) })
    }

    public func complete(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        done(Result { try recordComplete(record) })
    }

    private func recordOpen(_ record: ExchangeRecord) throws {
        if let error = failure.withLockedValue({ $0 }) { throw error }
        state.withLockedValue { $0.opened.append(record.id) }
    }

    private func recordComplete(_ record: ExchangeRecord) throws {
        if let error = failure.withLockedValue({ $0 }) { throw error }
        state.withLockedValue { $0.completed.append(record) }
    }

    public func deferUntilRecovered(_ record: ExchangeRecord) {
        state.withLockedValue { $0.deferred.append(record) }
    }

    /// Records kept for after an outage.
    public var deferred: [ExchangeRecord] { state.withLockedValue { $0.deferred } }

    public var opened: [UUID] { state.withLockedValue { $0.opened } }
    public var completed: [ExchangeRecord] { state.withLockedValue { $0.completed } }

    /// Waits (up to `timeout`) until at least `count` records are complete.
    public func waitForCompleted(_ count: Int, timeout: Duration = .seconds(10)) async -> [ExchangeRecord] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let records = completed
            if records.count >= count { return records }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return completed
    }
}
