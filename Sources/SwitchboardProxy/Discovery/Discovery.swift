public import Foundation
public import SwitchboardCore
public import SwitchboardDirectory

/// Endpoint discovery the way the SDS FHIR API answers it, from the directory snapshot:
/// `GET /Endpoint?organization=…|<ODS>&identifier=…|<interaction>` gives the endpoints (address,
/// ASID, party key) a consumer should call; `GET /Device?…` the accredited systems.
public enum Discovery {
    static let odsSystem = GPConnect.System.odsCode
    static let interactionSystem = GPConnect.System.interactionID
    static let partyKeySystem = GPConnect.System.partyKey
    static let asidSystem = GPConnect.System.asid

    /// A discovery search, parsed and checked.
    public struct Search: Sendable, Hashable {
        public enum Resource: String, Sendable { case endpoint = "Endpoint", device = "Device" }
        public var resource: Resource
        public var ods: ODSCode
        public var interaction: InteractionID
        public var partyKey: PartyKey?
        public var manufacturer: ODSCode?
    }

    /// Parses `/Endpoint?…` or `/Device?…`; `nil` when the path is neither.
    public static func search(uri: String) throws(ProxyRefusal) -> Search? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let resource = Search.Resource(rawValue: String(parts[0].dropFirst())), parts[0].first == "/" else { return nil }
        var ods: ODSCode?, interaction: InteractionID?, partyKey: PartyKey?, manufacturer: ODSCode?
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let field = pair.split(separator: "=", maxSplits: 1)
            guard field.count == 2, let value = String(field[1]).removingPercentEncoding else { throw invalid("query") }
            let name = String(field[0])
            let token = value.split(separator: "|", maxSplits: 1)
            guard token.count == 2 else { throw invalid(name) }
            let (system, code) = (String(token[0]), token[1])
            switch (name, system) {
            case ("organization", odsSystem):
                guard ods == nil, let parsed = ODSCode(code) else { throw invalid(name) }
                ods = parsed
            case ("manufacturing-organization", odsSystem) where resource == .device:
                guard manufacturer == nil, let parsed = ODSCode(code) else { throw invalid(name) }
                manufacturer = parsed
            case ("identifier", interactionSystem):
                guard interaction == nil, let parsed = InteractionID(code) else { throw invalid(name) }
                interaction = parsed
            case ("identifier", partyKeySystem):
                guard partyKey == nil, let parsed = PartyKey(code) else { throw invalid(name) }
                partyKey = parsed
            default:
                throw invalid(name)
            }
        }
        guard let ods else { throw invalid("organization") }
        guard let interaction else { throw invalid("identifier") }
        return Search(resource: resource, ods: ods, interaction: interaction, partyKey: partyKey, manufacturer: manufacturer)
    }

    static func invalid(_ parameter: String) -> ProxyRefusal {
        ProxyRefusal(status: 400, issueType: .invalid, phase: .validate, rule: "MISSING_OR_INVALID_PARAMETER",
                     token: "MISSING_OR_INVALID_PARAMETER_\(ProxyRefusal.sanitised(String(parameter.prefix(40))))")
    }

    /// The searchset Bundle answering `search`, as JSON.
    public static func bundle(_ search: Search, snapshot: DirectorySnapshot, selfURL: String) throws -> Data {
        var resources: [DiscoveryBundle.Resource] = []
        switch search.resource {
        case .endpoint:
            for endpoint in snapshot.endpoints(ods: search.ods, interaction: search.interaction)
            where search.partyKey == nil || endpoint.partyKey == search.partyKey {
                let asid = snapshot.systems(ods: search.ods).first { $0.partyKey == endpoint.partyKey }?.asid
                resources.append(.endpoint(DiscoveryBundle.EndpointResource(endpoint, interaction: search.interaction, asid: asid)))
            }
        case .device:
            for system in snapshot.systems(ods: search.ods)
            where (system.sends.contains(search.interaction) || system.receives.contains(search.interaction))
                && (search.partyKey == nil || system.partyKey == search.partyKey)
                && (search.manufacturer == nil || system.supplier == search.manufacturer) {
                resources.append(.device(DiscoveryBundle.DeviceResource(system, interaction: search.interaction)))
            }
        }
        let bundle = DiscoveryBundle(id: UUID().uuidString.lowercased(), total: resources.count, link: [.init(relation: "self", url: selfURL)],
                                     entry: resources.map { .init(fullUrl: "\(search.resource.rawValue)/\($0.id)", resource: $0) })
        return try SwitchboardJSON.encoder().encode(bundle)
    }
}

/// The FHIR STU3 searchset Bundle a discovery search answers with: `Endpoint` or `Device`
/// resources in the shapes Spine's SDS FHIR API gives them.
struct DiscoveryBundle: Encodable {
    static func interaction(_ interaction: InteractionID) -> FHIRExtension {
        FHIRExtension(url: "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId",
                      valueReference: FHIRReference(identifier: FHIRIdentifier(system: Discovery.interactionSystem, value: interaction.rawValue)))
    }

    static func organisation(_ ods: ODSCode) -> FHIRReference {
        FHIRReference(identifier: FHIRIdentifier(system: Discovery.odsSystem, value: ods.rawValue))
    }

    struct EndpointResource: Encodable {
        var resourceType = "Endpoint"
        var id: String
        var status = "active"
        var connectionType = FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", code: "hl7-fhir-rest", display: "HL7 FHIR")
        var payloadType = [FHIRCodeableConcept(coding: [FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/endpoint-payload-type", code: "any", display: "Any")])]
        var address: String
        var managingOrganization: FHIRReference
        var identifier: [FHIRIdentifier]
        var `extension`: [FHIRExtension]

        init(_ endpoint: Endpoint, interaction: InteractionID, asid: ASID?) {
            id = endpoint.cpaID.rawValue
            address = endpoint.address.rawValue
            managingOrganization = DiscoveryBundle.organisation(endpoint.ods)
            identifier = [
                .init(system: "https://fhir.nhs.uk/Id/nhsMhsFQDN", value: endpoint.fqdn),
                .init(system: Discovery.partyKeySystem, value: endpoint.partyKey.rawValue),
                .init(system: "https://fhir.nhs.uk/Id/nhsMhsCPAId", value: endpoint.cpaID.rawValue),
                .init(system: "https://fhir.nhs.uk/Id/nhsMHSId", value: endpoint.cpaID.rawValue),
            ]
            if let asid { identifier.append(.init(system: Discovery.asidSystem, value: asid.rawValue)) }
            `extension` = [DiscoveryBundle.interaction(interaction)]
        }
    }

    struct DeviceResource: Encodable {
        var resourceType = "Device"
        var id: String
        var identifier: [FHIRIdentifier]
        var `extension`: [FHIRExtension]
        var owner: FHIRReference

        init(_ system: AccreditedSystem, interaction: InteractionID) {
            id = system.asid.rawValue
            identifier = [.init(system: Discovery.asidSystem, value: system.asid.rawValue),
                          .init(system: Discovery.partyKeySystem, value: system.partyKey.rawValue)]
            `extension` = [DiscoveryBundle.interaction(interaction)]
            if let supplier = system.supplier {
                `extension`.insert(FHIRExtension(url: "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation",
                                                 valueReference: DiscoveryBundle.organisation(supplier)), at: 0)
            }
            owner = DiscoveryBundle.organisation(system.ods)
        }
    }

    enum Resource: Encodable {
        case endpoint(EndpointResource)
        case device(DeviceResource)

        var id: String {
            switch self {
            case .endpoint(let endpoint): endpoint.id
            case .device(let device): device.id
            }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .endpoint(let endpoint): try endpoint.encode(to: encoder)
            case .device(let device): try device.encode(to: encoder)
            }
        }
    }

    struct Link: Encodable {
        var relation: String
        var url: String
    }

    struct Entry: Encodable {
        struct Search: Encodable {
            var mode = "match"
        }

        var fullUrl: String
        var resource: Resource
        var search = Search()
    }

    var resourceType = "Bundle"
    var id: String
    var type = "searchset"
    var total: Int
    var link: [Link]
    var entry: [Entry]
}
