import SwitchboardAudit
import SwitchboardDirectory
import NIOHTTP1
public import SwitchboardCore

/// Validate: the method, the header names, the SSP headers, the target URL and the JWT are each
/// of their form, and the interaction is in the catalogue.
public struct ValidatePhase: Sendable {
    public var jwt: JWTValidator
    /// Unix seconds now; injected so tests can fix the clock.
    public var now: @Sendable () -> Int
    /// Read `/https:/host/…` as `/https://host/…` (``TargetURL/init(requestTarget:acceptingCollapsedScheme:)``).
    public var acceptCollapsedTargetScheme: Bool

    public init(jwt: JWTValidator, now: @escaping @Sendable () -> Int, acceptCollapsedTargetScheme: Bool = true) {
        self.jwt = jwt
        self.now = now
        self.acceptCollapsedTargetScheme = acceptCollapsedTargetScheme
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let method = HTTPMethodName(rawValue: context.head.method.rawValue) else {
            throw .methodNotAllowed(context.head.method.rawValue)
        }
        context.method = method
        try SSPHeaders.checkNames(context.head.headers)
        let from = try SSPHeaders.sender(context.head.headers)
        let headers = try SSPHeaders(context.head.headers, from: from, traceID: context.record.traceID)
        context.headers = headers
        context.record.traceID = headers.traceID
        context.record.correlationID = context.correlationID
        context.record.fromASID = from
        context.record.toASID = headers.to
        context.record.interaction = headers.interaction
        guard let slot = context.snapshot.catalogueSlot(headers.interaction) else {
            throw .interactionNotInCatalogue(headers.interaction)
        }
        context.slot = slot
        let interaction = slot.interaction
        let target = try TargetURL(requestTarget: context.head.uri, acceptingCollapsedScheme: acceptCollapsedTargetScheme)
        context.target = target
        let recorded = NHSNumberText.redacting(target.url)
        context.record.targetURL = recorded.text
        context.nhsNumber = recorded.numbers.first
        let claims: JWTValidator.Claims
        do {
            claims = try jwt.validate(authorization: headers.authorization, scope: interaction.scope, now: now())
        } catch {
            throw .invalidJWT(error)
        }
        context.record.requestingParty = claims.party
        context.audience = claims.audience
    }
}
