public import SwitchboardCore

/// A message handling server entry (SDS `nhsMhs`): the FHIR base URL a provider serves a set of
/// interactions at, named by its CPA id.
public struct Endpoint: Hashable, Sendable, Codable {
    public var cpaID: CPAID
    public var partyKey: PartyKey
    /// The organisation the endpoint serves (`nhsIDCode`).
    public var ods: ODSCode
    /// The FHIR service root (`nhsMhsEndPoint`), compared with the consumer's target URL exactly.
    public var address: EndpointAddress
    /// `nhsMhsFQDN`; the address's host unless SDS says otherwise.
    public var fqdn: String
    /// The interactions served here (`nhsMhsSvcIA`), sorted.
    public var interactions: [InteractionID]
    public var status: RecordStatus
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case cpaID = "cpaId", partyKey, ods, address, fqdn, interactions, status, version
    }

    public init(
        cpaID: CPAID, partyKey: PartyKey, ods: ODSCode, address: EndpointAddress, fqdn: String? = nil,
        interactions: [InteractionID], status: RecordStatus = .active, version: Int = 0
    ) {
        self.cpaID = cpaID
        self.partyKey = partyKey
        self.ods = ods
        self.address = address
        self.fqdn = fqdn ?? address.host
        self.interactions = Array(Set(interactions)).sorted()
        self.status = status
        self.version = version
    }
}
