public import Foundation
public import SwitchboardCore
public import SwitchboardDirectory

/// Endpoint discovery the way the SDS FHIR API answers it, from the directory snapshot:
/// `GET /Endpoint?organization=…|<ODS>&identifier=…|<interaction>` gives the endpoints (address,
/// ASID, party key) a consumer should call; `GET /Device?…` the accredited systems.
public enum Discovery {
    public static let odsSystem = "https://fhir.nhs.uk/Id/ods-organization-code"
    public static let interactionSystem = "https://fhir.nhs.uk/Id/nhsServiceInteractionId"
    public static let partyKeySystem = "https://fhir.nhs.uk/Id/nhsMhsPartyKey"
    public static let asidSystem = "https://fhir.nhs.uk/Id/nhsSpineASID"

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
        var resources: [[String: Any]] = []
        switch search.resource {
        case .endpoint:
            for endpoint in snapshot.endpoints(ods: search.ods, interaction: search.interaction)
            where search.partyKey == nil || endpoint.partyKey == search.partyKey {
                let asid = snapshot.systems(ods: search.ods).first { $0.partyKey == endpoint.partyKey }?.asid
                resources.append(endpointResource(endpoint, interaction: search.interaction, asid: asid))
            }
        case .device:
            for system in snapshot.systems(ods: search.ods)
            where (system.sends.contains(search.interaction) || system.receives.contains(search.interaction))
                && (search.partyKey == nil || system.partyKey == search.partyKey)
                && (search.manufacturer == nil || system.supplier == search.manufacturer) {
                resources.append(deviceResource(system, interaction: search.interaction))
            }
        }
        let bundle: [String: Any] = [
            "resourceType": "Bundle", "id": UUID().uuidString.lowercased(), "type": "searchset", "total": resources.count,
            "link": [["relation": "self", "url": selfURL]],
            "entry": resources.map { ["fullUrl": "\(search.resource.rawValue)/\($0["id"]!)", "resource": $0, "search": ["mode": "match"]] },
        ]
        return try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func interactionExtension(_ interaction: InteractionID) -> [String: Any] {
        ["url": "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId",
         "valueReference": ["identifier": ["system": interactionSystem, "value": interaction.rawValue]]]
    }

    static func endpointResource(_ endpoint: Endpoint, interaction: InteractionID, asid: ASID?) -> [String: Any] {
        var identifiers: [[String: String]] = [
            ["system": "https://fhir.nhs.uk/Id/nhsMhsFQDN", "value": endpoint.fqdn],
            ["system": partyKeySystem, "value": endpoint.partyKey.rawValue],
            ["system": "https://fhir.nhs.uk/Id/nhsMhsCPAId", "value": endpoint.cpaID.rawValue],
            ["system": "https://fhir.nhs.uk/Id/nhsMHSId", "value": endpoint.cpaID.rawValue],
        ]
        if let asid { identifiers.append(["system": asidSystem, "value": asid.rawValue]) }
        return [
            "resourceType": "Endpoint", "id": endpoint.cpaID.rawValue, "status": "active",
            "connectionType": ["system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "hl7-fhir-rest", "display": "HL7 FHIR"],
            "payloadType": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type", "code": "any", "display": "Any"]]]],
            "address": endpoint.address.rawValue,
            "managingOrganization": ["identifier": ["system": odsSystem, "value": endpoint.ods.rawValue]],
            "identifier": identifiers,
            "extension": [interactionExtension(interaction)],
        ]
    }

    static func deviceResource(_ system: AccreditedSystem, interaction: InteractionID) -> [String: Any] {
        var extensions: [[String: Any]] = [interactionExtension(interaction)]
        if let supplier = system.supplier {
            extensions.insert(["url": "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation",
                               "valueReference": ["identifier": ["system": odsSystem, "value": supplier.rawValue]]], at: 0)
        }
        return [
            "resourceType": "Device", "id": system.asid.rawValue,
            "identifier": [["system": asidSystem, "value": system.asid.rawValue], ["system": partyKeySystem, "value": system.partyKey.rawValue]],
            "extension": extensions,
            "owner": ["identifier": ["system": odsSystem, "value": system.ods.rawValue]],
        ]
    }
}
