public import SwitchboardCore
public import Foundation

// The resources GP Connect 1.6.0's appointment capability serves, shaped as its profiles say.

/// `Slot` (GPConnect-Slot-1): a bookable period of a schedule.
public struct FHIRSlot: Codable, Hashable, Sendable {
    public var resourceType = "Slot"
    public var id: String
    public var meta: FHIRMeta
    public var `extension`: [FHIRExtension]
    public var serviceType: [FHIRCodeableConcept]
    public var schedule: FHIRReference
    public var status: String
    public var start: String
    public var end: String
}

/// `Schedule` (GPConnect-Schedule-1): one clinician's sessions at one location.
public struct FHIRSchedule: Codable, Hashable, Sendable {
    public var resourceType = "Schedule"
    public var id: String
    public var meta: FHIRMeta
    public var `extension`: [FHIRExtension]?
    public var serviceCategory: FHIRCodeableConcept?
    public var actor: [FHIRReference]
    public var planningHorizon: FHIRPeriod
    public var comment: String?
}

/// `Practitioner` (CareConnect-GPC-Practitioner-1).
public struct FHIRPractitioner: Codable, Hashable, Sendable {
    public var resourceType = "Practitioner"
    public var id: String
    public var meta: FHIRMeta
    public var identifier: [FHIRIdentifier]
    public var name: [FHIRHumanName]
    public var gender: String
}

/// `Location` (CareConnect-GPC-Location-1): a surgery or branch of the practice.
public struct FHIRLocation: Codable, Hashable, Sendable {
    public var resourceType = "Location"
    public var id: String
    public var meta: FHIRMeta
    public var name: String
    public var address: FHIRAddress
    public var telecom: [FHIRContactPoint]
    public var managingOrganization: FHIRReference
}

/// `Organization` (CareConnect-GPC-Organization-1); also the booking organisation contained in
/// an Appointment.
public struct FHIROrganization: Codable, Hashable, Sendable {
    public var resourceType = "Organization"
    public var id: String
    public var meta: FHIRMeta?
    public var identifier: [FHIRIdentifier]?
    public var type: [FHIRCodeableConcept]?
    public var name: String?
    public var address: [FHIRAddress]?
    public var telecom: [FHIRContactPoint]?

    public init(id: String, meta: FHIRMeta? = nil, identifier: [FHIRIdentifier]? = nil, type: [FHIRCodeableConcept]? = nil, name: String? = nil,
                address: [FHIRAddress]? = nil, telecom: [FHIRContactPoint]? = nil) {
        self.id = id
        self.meta = meta
        self.identifier = identifier
        self.type = type
        self.name = name
        self.address = address
        self.telecom = telecom
    }
}

/// `Patient` (CareConnect-GPC-Patient-1).
public struct FHIRPatient: Codable, Hashable, Sendable {
    public var resourceType = "Patient"
    public var id: String
    public var meta: FHIRMeta
    public var `extension`: [FHIRExtension]?
    public var identifier: [FHIRIdentifier]
    public var active: Bool
    public var name: [FHIRHumanName]
    public var telecom: [FHIRContactPoint]?
    public var gender: String
    public var birthDate: String
    public var address: [FHIRAddress]?
    public var generalPractitioner: [FHIRReference]?
    public var managingOrganization: FHIRReference?

    /// The NHS number, from the identifier under its system.
    public var nhsNumber: String? { identifier.first { $0.system == GPConnect.System.nhsNumber }?.value }
}

/// `Appointment` (GPConnect-Appointment-1): what a consumer books, amends and cancels, and what
/// the practice answers with.
public struct FHIRAppointment: Codable, Hashable, Sendable {
    public struct Participant: Codable, Hashable, Sendable {
        public var actor: FHIRReference?
        public var status: String?

        public init(actor: FHIRReference, status: String = "accepted") {
            self.actor = actor
            self.status = status
        }
    }

    public var resourceType: String
    public var id: String?
    public var meta: FHIRMeta?
    public var contained: [FHIROrganization]?
    public var `extension`: [FHIRExtension]?
    public var status: String?
    public var serviceCategory: FHIRCodeableConcept?
    public var serviceType: [FHIRCodeableConcept]?
    /// Must not be sent in a booking (GP Connect), so kept only to be refused.
    public var reason: [FHIRCodeableConcept]?
    public var specialty: [FHIRCodeableConcept]?
    public var description: String?
    public var start: String?
    public var end: String?
    public var minutesDuration: Int?
    public var slot: [FHIRReference]?
    public var created: String?
    public var comment: String?
    public var participant: [Participant]?

    public init(status: String, description: String?, start: String, end: String, slot: [FHIRReference], created: String, comment: String?,
                participant: [Participant], bookingOrganisation: FHIROrganization) {
        resourceType = "Appointment"
        meta = FHIRMeta(profile: [GPConnect.Profile.appointment])
        var organisation = bookingOrganisation
        organisation.id = "1"
        contained = [organisation]
        `extension` = [FHIRExtension(url: GPConnect.Extension.bookingOrganisation, valueReference: FHIRReference("#1"))]
        self.status = status
        self.description = description
        self.start = start
        self.end = end
        self.slot = slot
        self.created = created
        self.comment = comment
        self.participant = participant
    }

    /// The `Patient/<id>` participant's id.
    public var patientID: String? {
        participant?.compactMap { $0.actor?.reference }.first { $0.hasPrefix("Patient/") }.map { String($0.dropFirst("Patient/".count)) }
    }
}

/// `CapabilityStatement`: what the practice's GP Connect server supports.
public struct FHIRCapabilityStatement: Codable, Hashable, Sendable {
    public struct Software: Codable, Hashable, Sendable {
        public var name: String
        public var version: String
        public var releaseDate: String?
    }

    public struct Rest: Codable, Hashable, Sendable {
        public struct Security: Codable, Hashable, Sendable {
            public var cors: Bool
        }

        public struct Resource: Codable, Hashable, Sendable {
            public struct Interaction: Codable, Hashable, Sendable {
                public var code: String
            }

            public struct SearchParam: Codable, Hashable, Sendable {
                public var name: String
                public var type: String
                public var documentation: String?
            }

            public var type: String
            public var interaction: [Interaction]
            public var updateCreate: Bool?
            public var searchInclude: [String]?
            public var searchParam: [SearchParam]?
        }

        public var mode: String
        public var security: Security
        public var resource: [Resource]
    }

    public var resourceType = "CapabilityStatement"
    public var version: String
    public var name: String
    public var status: String
    public var date: String
    public var publisher: String
    public var description: String
    public var kind: String
    public var software: Software
    public var fhirVersion: String
    public var acceptUnknown: String
    public var format: [String]
    public var profile: [FHIRReference]
    public var rest: [Rest]
}

/// `OperationOutcome` (GPConnect-OperationOutcome-1) with a Spine error code.
public struct FHIROperationOutcome: Codable, Hashable, Sendable {
    public struct Issue: Codable, Hashable, Sendable {
        public var severity: String
        public var code: String
        public var details: FHIRCodeableConcept
        public var diagnostics: String
    }

    public var resourceType = "OperationOutcome"
    public var meta: FHIRMeta
    public var issue: [Issue]

    public init(issueCode: String, spineCode: String, diagnostics: String) {
        meta = FHIRMeta(profile: [GPConnect.Profile.operationOutcome])
        issue = [Issue(severity: "error", code: issueCode,
                       details: FHIRCodeableConcept(coding: [FHIRCoding(system: GPConnect.System.spineErrorCode, code: spineCode, display: spineCode)]),
                       diagnostics: diagnostics)]
    }
}

/// Any resource the simulator puts in a Bundle.
public enum FHIRResource: Codable, Hashable, Sendable {
    case slot(FHIRSlot)
    case schedule(FHIRSchedule)
    case practitioner(FHIRPractitioner)
    case location(FHIRLocation)
    case organization(FHIROrganization)
    case patient(FHIRPatient)
    case appointment(FHIRAppointment)

    /// `Type/id`.
    public var reference: String {
        switch self {
        case .slot(let value): "Slot/\(value.id)"
        case .schedule(let value): "Schedule/\(value.id)"
        case .practitioner(let value): "Practitioner/\(value.id)"
        case .location(let value): "Location/\(value.id)"
        case .organization(let value): "Organization/\(value.id)"
        case .patient(let value): "Patient/\(value.id)"
        case .appointment(let value): "Appointment/\(value.id ?? "")"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .slot(let value): try value.encode(to: encoder)
        case .schedule(let value): try value.encode(to: encoder)
        case .practitioner(let value): try value.encode(to: encoder)
        case .location(let value): try value.encode(to: encoder)
        case .organization(let value): try value.encode(to: encoder)
        case .patient(let value): try value.encode(to: encoder)
        case .appointment(let value): try value.encode(to: encoder)
        }
    }

    private enum TypeKey: String, CodingKey { case resourceType }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .resourceType)
        switch type {
        case "Slot": self = .slot(try FHIRSlot(from: decoder))
        case "Schedule": self = .schedule(try FHIRSchedule(from: decoder))
        case "Practitioner": self = .practitioner(try FHIRPractitioner(from: decoder))
        case "Location": self = .location(try FHIRLocation(from: decoder))
        case "Organization": self = .organization(try FHIROrganization(from: decoder))
        case "Patient": self = .patient(try FHIRPatient(from: decoder))
        case "Appointment": self = .appointment(try FHIRAppointment(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [TypeKey.resourceType], debugDescription: "resourceType \(type) is not served here"))
        }
    }
}

/// `Bundle` of type `searchset`, as GP Connect answers a search.
public struct FHIRBundle: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var fullUrl: String
        public var resource: FHIRResource
    }

    public var resourceType = "Bundle"
    public var id: String
    public var meta: FHIRMeta
    public var type: String
    public var entry: [Entry]?

    /// A searchset of `resources`, each entry's `fullUrl` under `serviceRoot`.
    public init(id: String, lastUpdated: String, serviceRoot: String, resources: [FHIRResource]) {
        self.id = id
        meta = FHIRMeta(lastUpdated: lastUpdated)
        type = "searchset"
        entry = resources.isEmpty ? nil : resources.map { Entry(fullUrl: "\(serviceRoot)/\($0.reference)", resource: $0) }
    }

    /// The entries' resources.
    public var resources: [FHIRResource] { entry?.map(\.resource) ?? [] }
}

/// How the simulator writes FHIR JSON: stable key order, slashes as they are.
public enum FHIRJSON {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
