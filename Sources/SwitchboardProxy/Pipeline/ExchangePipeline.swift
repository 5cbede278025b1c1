/// The phases that decide whether an exchange may be forwarded, in the order the SSP applies
/// them: identify, validate, authorise, throttle. Each refuses with its own error; forwarding,
/// responding and auditing are the connection handler's.
public struct ExchangePipeline: Sendable {
    public var identify: IdentifyPhase
    public var validate: ValidatePhase
    public var authorise: AuthorisePhase
    public var throttle: ThrottlePhase

    public init(identify: IdentifyPhase, validate: ValidatePhase, authorise: AuthorisePhase, throttle: ThrottlePhase) {
        self.identify = identify
        self.validate = validate
        self.authorise = authorise
        self.throttle = throttle
    }

    /// Runs every admission phase; returns normally when the exchange may be forwarded.
    public func admit(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        try identify.run(&context)
        try validate.run(&context)
        try authorise.run(&context)
        try throttle.run(&context)
    }
}
