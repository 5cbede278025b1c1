/// The phases of the request path, in order. A refusal names the one that refused; the
/// management API's refusals use the same names (a caller not recognised is `identify`, one
/// without the role is `authorise`).
public enum ExchangePhase: String, Hashable, Sendable, CaseIterable {
    case accept, identify, validate, authorise, route, throttle, forward, respond, audit
}
