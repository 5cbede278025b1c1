public import SwitchboardCore

/// An accredited system (SDS `nhsAs`): one system at one organisation, named by its ASID.
public struct AccreditedSystem: Hashable, Sendable, Codable {
    public var asid: ASID
    /// The owning organisation (`nhsIDCode`).
    public var ods: ODSCode
    /// Joins the system to its endpoints (`nhsMhsPartyKey`).
    public var partyKey: PartyKey
    /// The product name (`nhsProductName`), e.g. "EMIS Web".
    public var name: String
    /// The supplier's ODS code (`nhsMhsManufacturerOrg`), when known.
    public var supplier: ODSCode?
    /// The FQDN its client certificate carries; required for a system that sends.
    public var certificateFQDN: String?
    /// Interactions it may send as a consumer (`nhsAsSvcIA`), sorted.
    public var sends: [InteractionID]
    /// Interactions it serves as a provider, sorted; each needs an endpoint for its party key.
    public var receives: [InteractionID]
    public var status: RecordStatus
    public var version: Int

    public init(
        asid: ASID, ods: ODSCode, partyKey: PartyKey, name: String, supplier: ODSCode? = nil,
        certificateFQDN: String? = nil, sends: [InteractionID] = [], receives: [InteractionID] = [],
        status: RecordStatus = .active, version: Int = 0
    ) {
        self.asid = asid
        self.ods = ods
        self.partyKey = partyKey
        self.name = name
        self.supplier = supplier
        self.certificateFQDN = certificateFQDN
        self.sends = Array(Set(sends)).sorted()
        self.receives = Array(Set(receives)).sorted()
        self.status = status
        self.version = version
    }
}
