import Foundation
import SwitchboardCore

/// A FHIR STU3 `AuditEvent` for one exchange: type `rest`, subtype the interaction; agents the
/// requesting user (from the JWT) and the consumer system; entities the trace id, the resource
/// addressed or created, and the provider system.
struct FHIRAuditEvent: Encodable {
    struct Network: Encodable {
        var address: String
        var type: String
    }

    struct Agent: Encodable {
        var role: [FHIRCodeableConcept]
        var requestor: Bool
        var userId: FHIRIdentifier?
        var altId: String?
        var name: String?
        var reference: FHIRReference?
        var purposeOfUse: [FHIRCodeableConcept]?
        var network: Network?
    }

    struct Source: Encodable {
        var site: String
        var identifier: FHIRIdentifier
        var type: [FHIRCoding]
    }

    struct Entity: Encodable {
        var identifier: FHIRIdentifier?
        var reference: FHIRReference?
        var name: String?
        var description: String?
    }

    var resourceType = "AuditEvent"
    var id: String
    var type = FHIRCoding(system: "http://hl7.org/fhir/audit-event-type", code: "rest", display: "RESTful Operation")
    var subtype: [FHIRCoding]?
    var action: String
    var recorded: String
    var outcome: String
    var outcomeDesc: String
    var agent: [Agent]
    var source: Source
    var entity: [Entity]?

    init(_ r: ExchangeRecord) {
        id = r.id.uuidString.lowercased()
        action = switch r.method {
        case "GET": "R"
        case "POST": "C"
        case "PUT", "PATCH": "U"
        case "DELETE": "D"
        default: "E"
        }
        outcome = switch (r.outcome, r.status ?? 0) {
        case (.interrupted, _), (.inProgress, _): "12"
        case (_, 500...): "8"
        case (_, 400...): "4"
        default: "0"
        }
        recorded = Timestamp.rfc3339(r.completedAt ?? r.receivedAt)
        outcomeDesc = "\(r.status.map(String.init) ?? "-") \(r.refusalToken ?? r.outcome.rawValue)"
        subtype = r.interaction.map { [FHIRCoding(system: GPConnect.System.interactionID, code: $0.rawValue)] }
        source = Source(site: r.node, identifier: FHIRIdentifier(system: "https://switchboard.nhs.uk/Id/node", value: r.node),
                        type: [FHIRCoding(system: "http://hl7.org/fhir/security-source-type", code: "4", display: "Application Server")])

        agent = []
        let party = r.requestingParty
        if let user = party.userID {
            agent.append(Agent(
                role: [FHIRCodeableConcept(text: "requesting user")], requestor: true,
                userId: FHIRIdentifier(system: GPConnect.System.sdsUserID, value: user),
                altId: party.userRoleProfileID, name: party.userName,
                reference: party.organisationODS.map {
                    FHIRReference(identifier: FHIRIdentifier(system: GPConnect.System.odsCode, value: $0), display: party.organisationName ?? $0)
                },
                purposeOfUse: party.reasonForRequest.map { [FHIRCodeableConcept(coding: [FHIRCoding(code: $0)])] }))
        }
        agent.append(Agent(
            role: [FHIRCodeableConcept(text: "consumer system")], requestor: party.userID == nil,
            userId: r.fromASID.map { FHIRIdentifier(system: GPConnect.System.asid, value: $0.rawValue) },
            name: r.certificateFQDN, network: Network(address: r.clientAddress, type: "2")))

        var entities: [Entity] = []
        if let trace = r.traceID {
            entities.append(Entity(identifier: FHIRIdentifier(system: "https://fhir.nhs.uk/Id/ssp-trace-id", value: trace), name: r.targetURL,
                                   description: "\(r.method) \(r.targetURL)"))
        }
        if let type = r.resourceType {
            entities.append(Entity(reference: FHIRReference(r.resourceID.map { "\(type)/\($0)" } ?? type)))
        }
        if let location = r.responseLocation { entities.append(Entity(reference: FHIRReference(location), description: "created")) }
        if let to = r.toASID {
            entities.append(Entity(identifier: FHIRIdentifier(system: GPConnect.System.asid, value: to.rawValue), description: "provider system"))
        }
        entity = entities.isEmpty ? nil : entities
    }
}

/// A FHIR STU3 Bundle of audit events: a `searchset` with its `total` for a page, a
/// `collection` for a whole-period export (written a page at a time by ``AuditExportStream``).
struct FHIRAuditBundle: Encodable {
    struct Entry: Encodable {
        var fullUrl: String
        var resource: FHIRAuditEvent

        init(_ record: ExchangeRecord) {
            fullUrl = "urn:uuid:\(record.id.uuidString.lowercased())"
            resource = FHIRAuditEvent(record)
        }
    }

    var resourceType = "Bundle"
    var type = "searchset"
    var total: Int
    var entry: [Entry]
}
