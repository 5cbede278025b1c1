public import Foundation
public import SwitchboardCore

/// One exchange through the proxy, forwarded or refused: what an auditor reads back.
/// Bodies are never kept (they hold patient data); their SHA-256 is.
public struct ExchangeRecord: Hashable, Sendable, Codable {
    /// How the exchange ended.
    public enum Outcome: String, Hashable, Sendable, Codable, CaseIterable {
        /// Opened, not yet completed (the request is with the provider).
        case inProgress = "in-progress"
        /// Forwarded and answered by the provider (whatever its status).
        case forwarded
        /// Refused by Switchboard at `phase` for `rule`.
        case refused
        /// The provider could not be reached, refused TLS or broke the response (502).
        case upstreamFailed = "upstream-failed"
        /// The provider did not answer in time (504).
        case upstreamTimeout = "upstream-timeout"
        /// The consumer went away before the answer was complete (499).
        case clientClosed = "client-closed"
        /// Answered by Switchboard itself (a CORS pre-flight).
        case answered
        /// Left open by a crash and found at start-up.
        case interrupted
    }

    public var id: UUID
    public var node: String
    public var receivedAt: Date
    public var completedAt: Date?
    /// Time from the first byte of the request to the end of the response, in microseconds.
    public var durationMicroseconds: Int64?
    /// Time from forwarding to the provider's response head, in microseconds.
    public var upstreamMicroseconds: Int64?
    public var clientAddress: String
    public var certificateSubject: String?
    public var certificateFQDN: String?
    public var traceID: String?
    public var correlationID: String?
    public var fromASID: ASID?
    public var fromODS: ODSCode?
    public var toASID: ASID?
    public var toODS: ODSCode?
    public var interaction: InteractionID?
    public var method: String
    public var targetURL: String
    /// The HTTP status sent to the consumer (499 when it went away).
    public var status: Int?
    public var outcome: Outcome
    /// The phase that refused the exchange, e.g. `authorise`.
    public var refusalPhase: String?
    /// The rule that refused it, e.g. `ASID_CHECK_FAILED`.
    public var refusalRule: String?
    /// The full token sent in the OperationOutcome.
    public var refusalToken: String?
    public var bytesIn: Int64
    public var bytesOut: Int64
    public var requestBodySHA256: String?
    public var responseBodySHA256: String?
    public var requestingParty: RequestingParty
    /// The FHIR resource type and id the request addressed, e.g. `Appointment` / `1234`.
    public var resourceType: String?
    public var resourceID: String?
    /// The provider's `Location` and `ETag` (a booking's new Appointment and its version).
    public var responseLocation: String?
    public var responseETag: String?
    /// HMAC-SHA-256 of the NHS number the request named (``NHSNumberKey``), the number itself
    /// never being kept; `nil` when it named none, or no key is configured.
    public var nhsNumberHMAC: String?

    public init(id: UUID, node: String, receivedAt: Date, clientAddress: String, method: String, targetURL: String) {
        self.id = id
        self.node = node
        self.receivedAt = receivedAt
        self.clientAddress = clientAddress
        self.method = method
        self.targetURL = targetURL
        self.outcome = .inProgress
        self.bytesIn = 0
        self.bytesOut = 0
        self.requestingParty = RequestingParty()
    }
}

extension ExchangeRecord {
    /// As decoded, except the id, which is written lower-case everywhere it appears (as in
    /// `X-Request-ID`, the FHIR export and the database), and dates, which the encoder's
    /// strategy writes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(node, forKey: .node)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encodeIfPresent(completedAt, forKey: .completedAt)
        try container.encodeIfPresent(durationMicroseconds, forKey: .durationMicroseconds)
        try container.encodeIfPresent(upstreamMicroseconds, forKey: .upstreamMicroseconds)
        try container.encode(clientAddress, forKey: .clientAddress)
        try container.encodeIfPresent(certificateSubject, forKey: .certificateSubject)
        try container.encodeIfPresent(certificateFQDN, forKey: .certificateFQDN)
        try container.encodeIfPresent(traceID, forKey: .traceID)
        try container.encodeIfPresent(correlationID, forKey: .correlationID)
        try container.encodeIfPresent(fromASID, forKey: .fromASID)
        try container.encodeIfPresent(fromODS, forKey: .fromODS)
        try container.encodeIfPresent(toASID, forKey: .toASID)
        try container.encodeIfPresent(toODS, forKey: .toODS)
        try container.encodeIfPresent(interaction, forKey: .interaction)
        try container.encode(method, forKey: .method)
        try container.encode(targetURL, forKey: .targetURL)
        try container.encodeIfPresent(status, forKey: .status)
        try container.encode(outcome, forKey: .outcome)
        try container.encodeIfPresent(refusalPhase, forKey: .refusalPhase)
        try container.encodeIfPresent(refusalRule, forKey: .refusalRule)
        try container.encodeIfPresent(refusalToken, forKey: .refusalToken)
        try container.encode(bytesIn, forKey: .bytesIn)
        try container.encode(bytesOut, forKey: .bytesOut)
        try container.encodeIfPresent(requestBodySHA256, forKey: .requestBodySHA256)
        try container.encodeIfPresent(responseBodySHA256, forKey: .responseBodySHA256)
        try container.encode(requestingParty, forKey: .requestingParty)
        try container.encodeIfPresent(resourceType, forKey: .resourceType)
        try container.encodeIfPresent(resourceID, forKey: .resourceID)
        try container.encodeIfPresent(responseLocation, forKey: .responseLocation)
        try container.encodeIfPresent(responseETag, forKey: .responseETag)
        try container.encodeIfPresent(nhsNumberHMAC, forKey: .nhsNumberHMAC)
    }
}
