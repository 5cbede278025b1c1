/// Polls `condition` until it holds or `timeout` has passed, and says whether it held. Tests wait
/// on this (or on an event) rather than sleeping for a fixed time, so they pass on a busy machine
/// and are no slower on an idle one.
@discardableResult
public func eventually(timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: interval)
    }
}
