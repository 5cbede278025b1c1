public import SwitchboardCore

/// An answer Switchboard gives itself instead of forwarding: one HTTP status, one
/// OperationOutcome token. `rule` is the token without its variable parts (ASIDs, URLs), stable
/// for metrics labels, audit queries and documentation.
public struct ProxyRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var status: Int
    public var issueType: OperationOutcome.IssueType
    public var phase: ExchangePhase
    public var rule: String
    public var token: String
    /// Headers the answer carries besides the OperationOutcome's (`Retry-After`, `Allow`, …).
    public var headers: [(String, String)]
    /// Whether the connection must be closed after the answer (framing can no longer be trusted).
    public var closesConnection: Bool

    public init(status: Int, issueType: OperationOutcome.IssueType, phase: ExchangePhase, rule: String, token: String? = nil,
                headers: [(String, String)] = [], closesConnection: Bool = false) {
        self.status = status
        self.issueType = issueType
        self.phase = phase
        self.rule = rule
        self.token = token ?? rule
        self.headers = headers
        self.closesConnection = closesConnection
    }

    public var description: String { "\(status) \(token) (\(phase.rawValue))" }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.status == rhs.status && lhs.issueType == rhs.issueType && lhs.phase == rhs.phase && lhs.rule == rhs.rule
            && lhs.token == rhs.token && lhs.closesConnection == rhs.closesConnection
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(token)
    }

    // MARK: accept and identify

    public static let clientCertificateRequired = ProxyRefusal(status: 496, issueType: .security, phase: .identify, rule: "CLIENT_CERTIFICATE_REQUIRED")
    public static let plainHTTPOnTLSPort = ProxyRefusal(status: 497, issueType: .security, phase: .accept, rule: "HTTP_REQUEST_SENT_TO_HTTPS_PORT", closesConnection: true)

    /// The client certificate's issuer has revoked it.
    public static let clientCertificateRevoked = ProxyRefusal(status: 495, issueType: .security, phase: .identify, rule: "CLIENT_CERTIFICATE_REVOKED")
    /// The client certificate's revocation status cannot be known (its issuer's list is stale or
    /// unread) and `proxy.revocation.whenStale` is `fail-closed`.
    public static let clientCertificateRevocationUnknown = ProxyRefusal(status: 495, issueType: .security, phase: .identify,
                                                                       rule: "CLIENT_CERTIFICATE_REVOCATION_UNKNOWN")

    /// The client certificate's FQDN is not the one registered for `Ssp-From`.
    public static func certificateMismatch(from asid: ASID) -> ProxyRefusal {
        ProxyRefusal(status: 403, issueType: .forbidden, phase: .identify, rule: "ACCESS_DENIED_SSL", token: "ACCESS_DENIED_SSL_MESSAGESENDER_\(asid)")
    }

    // MARK: validate

    public static func methodNotAllowed(_ method: String) -> ProxyRefusal {
        ProxyRefusal(status: 405, issueType: .notSupported, phase: .validate, rule: "METHOD_NOT_ALLOWED",
                     headers: [("Allow", HTTPMethodName.allCases.map(\.rawValue).joined(separator: ", "))])
    }

    /// A required header is absent or not of its form; `header` is its canonical name.
    public static func invalidHeader(_ header: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "MISSING_OR_INVALID_HEADER", token: "MISSING_OR_INVALID_HEADER_\(header)")
    }

    public static func duplicateHeader(_ header: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "DUPLICATE_HEADER", token: "DUPLICATE_HEADER_\(header)")
    }

    /// A header name that only differs from an SSP header by `_` for `-` (proxies disagree on those).
    public static func lookalikeHeader(_ header: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "INVALID_HEADER_NAME", token: "INVALID_HEADER_NAME_\(sanitised(header))")
    }

    public static func interactionNotInCatalogue(_ id: InteractionID) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "INTERACTION_NOT_IN_CATALOGUE", token: "INTERACTION_NOT_IN_CATALOGUE_\(id)")
    }

    /// The target URL is not of the SSP form; `reason` is an upper-case rule, e.g. `NOT_HTTPS`.
    public static func invalidTargetURL(_ reason: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "INVALID_TARGET_URL", token: "INVALID_TARGET_URL_\(reason)")
    }

    /// The JWT breaks a GP Connect rule: `INVALID_JWT_<code>`, or the Authorization header's
    /// refusal when it is not a bearer token.
    public static func invalidJWT(_ error: JWTError) -> ProxyRefusal {
        if error == .notBearer { return invalidHeader(SSPHeaders.authorization) }
        return ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "INVALID_JWT", token: "INVALID_JWT_\(error.code)")
    }

    public static let malformedRequest = ProxyRefusal(status: 400, issueType: .invalid, phase: .accept, rule: "MALFORMED_HTTP_REQUEST", closesConnection: true)
    public static let headersTooLarge = ProxyRefusal(status: 431, issueType: .tooLong, phase: .accept, rule: "REQUEST_HEADER_FIELDS_TOO_LARGE", closesConnection: true)
    public static let bodyTooLarge = ProxyRefusal(status: 413, issueType: .tooLong, phase: .validate, rule: "REQUEST_BODY_TOO_LARGE", closesConnection: true)
    public static let notFound = ProxyRefusal(status: 404, issueType: .notFound, phase: .validate, rule: "NOT_FOUND")

    // MARK: authorise

    public static func asidCheckFailed(from: ASID) -> ProxyRefusal {
        ProxyRefusal(status: 403, issueType: .forbidden, phase: .authorise, rule: "ASID_CHECK_FAILED", token: "ASID_CHECK_FAILED_MESSAGESENDER_\(from)")
    }

    public static func unknownReceiver(_ to: ASID) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .authorise, rule: "UNKNOWN_MESSAGERECEIVER", token: "UNKNOWN_MESSAGERECEIVER_\(to)")
    }

    public static func receiverCheckFailed(_ to: ASID) -> ProxyRefusal {
        ProxyRefusal(status: 403, issueType: .forbidden, phase: .authorise, rule: "PARTYKEY_INTERACTION_CHECK_FAILED",
                     token: "PARTYKEY_INTERACTION_CHECK_FAILED_MESSAGERECEIVER_\(to)")
    }

    public static func sharingCheckFailed(from: ASID, to: ASID) -> ProxyRefusal {
        ProxyRefusal(status: 403, issueType: .forbidden, phase: .authorise, rule: "FOT_CHECK_FAILED",
                     token: "FOT_CHECK_FAILED_MESSAGESENDER_\(from)_MESSAGERECEIVER_\(to)")
    }

    public static func endpointVaries(registered: String, cpaID: CPAID, target: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .route, rule: "ENDPOINT_VARIES_FROM_TARGETURL",
                     token: "ENDPOINT_\(registered)_CPAID_\(cpaID)_VARIES_FROM_TARGETURL_\(sanitised(target))")
    }

    public static func interactionMismatch(_ id: InteractionID) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .route, rule: "INTERACTION_VERB_OR_PATH_MISMATCH",
                     token: "INTERACTION_VERB_OR_PATH_MISMATCH_\(id)")
    }

    // MARK: throttle

    /// Over the consumer's limit: `X-Rate-Limit-Limit` is how many requests it may make in one
    /// go (the bucket's burst), `X-Rate-Limit-Reset` the seconds until that many are usable
    /// again, and `Retry-After` the seconds until the next one is.
    public static func consumerRateLimited(_ asid: ASID, limit: Int, reset: Int, retryAfter: Int) -> ProxyRefusal {
        ProxyRefusal(status: 429, issueType: .throttled, phase: .throttle, rule: "RATE_LIMIT_EXCEEDED_MESSAGESENDER",
                     token: "RATE_LIMIT_EXCEEDED_MESSAGESENDER_\(asid)",
                     headers: [("X-Rate-Limit-Limit", "\(limit)"), ("X-Rate-Limit-Remaining", "0"), ("X-Rate-Limit-Reset", "\(reset)"),
                               ("Retry-After", "\(retryAfter)")])
    }

    public static func providerRateLimited(_ asid: ASID, retryAfter: Int) -> ProxyRefusal {
        ProxyRefusal(status: 503, issueType: .throttled, phase: .throttle, rule: "RATE_LIMIT_EXCEEDED_MESSAGERECEIVER",
                     token: "RATE_LIMIT_EXCEEDED_MESSAGERECEIVER_\(asid)", headers: [("Retry-After", "\(retryAfter)")])
    }

    // MARK: forward and audit

    public static func upstreamUnreachable(_ url: String) -> ProxyRefusal {
        ProxyRefusal(status: 502, issueType: .transient, phase: .forward, rule: "ERROR_COMMUNICATING_TO_ENDPOINT",
                     token: "ERROR_COMMUNICATING_TO_ENDPOINT_URL_\(sanitised(url))")
    }

    /// The provider's certificate is revoked (or, under `fail-closed`, its status cannot be
    /// known): the consumer is told, as for any provider that cannot be reached, and the record
    /// keeps the reason in its rule.
    public static func upstreamCertificateRefused(_ url: String, revoked: Bool) -> ProxyRefusal {
        ProxyRefusal(status: 502, issueType: .transient, phase: .forward,
                     rule: revoked ? "ENDPOINT_CERTIFICATE_REVOKED" : "ENDPOINT_CERTIFICATE_REVOCATION_UNKNOWN",
                     token: "ERROR_COMMUNICATING_TO_ENDPOINT_URL_\(sanitised(url))")
    }

    public static func upstreamTimeout(_ url: String) -> ProxyRefusal {
        ProxyRefusal(status: 504, issueType: .timeout, phase: .forward, rule: "TIMEOUT_COMMUNICATING_TO_ENDPOINT",
                     token: "TIMEOUT_COMMUNICATING_TO_ENDPOINT_URL_\(sanitised(url))")
    }

    public static let auditUnavailable = ProxyRefusal(status: 503, issueType: .transient, phase: .audit, rule: "AUDIT_STORE_UNAVAILABLE",
                                                      headers: [("Retry-After", "1")])

    /// Keeps untrusted text in a token printable and bounded.
    static func sanitised(_ text: String) -> String {
        let text = NHSNumberText.redacting(text).text
        let limited = text.utf8.count > 512 ? String(decoding: text.utf8.prefix(512), as: UTF8.self) + "…" : text
        return String(String.UnicodeScalarView(limited.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
