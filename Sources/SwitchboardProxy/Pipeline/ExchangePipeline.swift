import SwitchboardCore
/// The phases that decide whether an exchange may be forwarded, in the order the SSP applies
/// them: identify, validate, authorise, route, throttle. Each refuses with its own error; the
/// forward, respond and audit phases follow for what they admit.
public struct ExchangePipeline: Sendable {
    public var identify: IdentifyPhase
    public var validate: ValidatePhase
    public var authorise: AuthorisePhase
    public var route: RoutePhase
    public var throttle: ThrottlePhase

    public init(identify: IdentifyPhase, validate: ValidatePhase, authorise: AuthorisePhase, route: RoutePhase, throttle: ThrottlePhase) {
        self.identify = identify
        self.validate = validate
        self.authorise = authorise
        self.route = route
        self.throttle = throttle
    }

    /// Runs every admission phase; returns normally when the exchange may be forwarded.
    public func admit(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        try identify.run(&context)
        try validate.run(&context)
        try authorise.run(&context)
        try route.run(&context)
        try throttle.run(&context)
    }

    /// Runs every admission phase as ``admit(_:)`` does, telling `observe` when each began and
    /// ended (nanoseconds since 1970) and what it refused (for traces).
    func admit(_ context: inout ExchangeContext, observe: (ExchangePhase, UInt64, UInt64, ProxyRefusal?) -> Void) throws(ProxyRefusal) {
        func timed(_ phase: ExchangePhase, _ run: (inout ExchangeContext) throws(ProxyRefusal) -> Void) throws(ProxyRefusal) {
            let start = TraceInstant.now.nanosecondsSinceEpoch
            do {
                try run(&context)
            } catch {
                observe(phase, start, TraceInstant.now.nanosecondsSinceEpoch, error)
                throw error
            }
            observe(phase, start, TraceInstant.now.nanosecondsSinceEpoch, nil)
        }
        try timed(.identify, identify.run)
        try timed(.validate, validate.run)
        try timed(.authorise, authorise.run)
        try timed(.route, route.run)
        try timed(.throttle, throttle.run)
    }
}
