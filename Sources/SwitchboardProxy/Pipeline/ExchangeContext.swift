public import Foundation
public import NIOHTTP1
public import SwitchboardAudit
public import SwitchboardCore
public import SwitchboardDirectory

/// What the phases learn about one exchange, handed from phase to phase and finally to the
/// audit record. Phases fill it in; none reads what a later phase sets.
public struct ExchangeContext: Sendable {
    /// The audit record as it stands; `id` is also the `X-Request-ID`.
    public var record: ExchangeRecord
    /// The record's id as every header, log line and answer spells it (lower-case).
    public let exchangeID: String
    public var head: HTTPRequestHead
    /// The directory as it was when the request arrived; one exchange sees one snapshot.
    public let snapshot: DirectorySnapshot
    public let client: ClientIdentity
    /// When the request head arrived (monotonic, for durations).
    public let started: ContinuousClock.Instant

    public var method: HTTPMethodName?
    public var target: TargetURL?
    public var headers: SSPHeaders?
    public var sender: RoutableSystem?
    public var receiver: RoutableSystem?
    /// The declared interaction's catalogue entry.
    public var slot: CatalogueSlot?
    public var interaction: Interaction? { slot?.interaction }
    public var endpoint: Endpoint?
    /// The FHIR request below the endpoint's service root: path and query.
    public var fhirRequest: Substring?
    /// The JWT's `aud`, checked against the endpoint once it is known.
    public var audience: String?
    /// The NHS number the target URL names (never recorded: the record keeps its keyed hash).
    public var nhsNumber: NHSNumber?

    public init(id: UUID, node: String, head: HTTPRequestHead, client: ClientIdentity, snapshot: DirectorySnapshot, receivedAt: Date = Date()) {
        self.record = ExchangeRecord(id: id, node: node, receivedAt: receivedAt, clientAddress: client.address,
                                     method: head.method.rawValue, targetURL: NHSNumberText.redacting(String(head.uri.dropFirst().prefix(2048))).text)
        self.record.certificateSubject = client.certificate?.subject
        self.record.certificateFQDN = client.certificate?.fqdn
        self.record.traceID = SSPHeaders.singleValidTraceID(head.headers)
        self.exchangeID = id.uuidString.lowercased()
        self.head = head
        self.snapshot = snapshot
        self.client = client
        self.started = .now
    }

    /// The correlation id sent upstream: the consumer's `X-Correlation-ID`, else its trace id.
    public var correlationID: String? { headers?.correlationID ?? headers?.traceID }

    /// The `Ssp-TraceID` every answer carries: the consumer's when it sent exactly one valid
    /// UUID, otherwise this exchange's id, so that every answer can be traced.
    public var responseTraceID: String { record.traceID ?? exchangeID }
}

/// Who is at the other end of a consumer connection.
public struct ClientIdentity: Sendable, Hashable {
    /// The client certificate, as far as routing cares.
    public struct Certificate: Sendable, Hashable {
        /// The distinguished name, RFC 4514 form.
        public var subject: String
        /// The first SAN dNSName, else the subject's CN.
        public var fqdn: String?
        /// Its issuer and serial number, which revocation lists name.
        public var issuerAndSerialNumber: IssuerAndSerialNumber?

        public init(subject: String, fqdn: String?, issuerAndSerialNumber: IssuerAndSerialNumber? = nil) {
            self.subject = subject
            self.fqdn = fqdn
            self.issuerAndSerialNumber = issuerAndSerialNumber
        }
    }

    /// The peer's IP address, e.g. `192.0.2.7` or `2001:db8::7`.
    public var address: String
    public var certificate: Certificate?

    public init(address: String, certificate: Certificate?) {
        self.address = address
        self.certificate = certificate
    }
}
