// The FHIR STU3 (3.0.1) data types Switchboard writes: the simulator's GP Connect 1.6.0
// resources, the audit export's AuditEvents and discovery's Endpoints and Devices. Optional
// elements are left out of the JSON when nil.

/// `Meta`: the version and the profiles a resource claims.
public struct FHIRMeta: Codable, Hashable, Sendable {
    public var versionId: String?
    public var lastUpdated: String?
    public var profile: [String]?

    public init(versionId: String? = nil, lastUpdated: String? = nil, profile: [String]? = nil) {
        self.versionId = versionId
        self.lastUpdated = lastUpdated
        self.profile = profile
    }
}

/// `Coding`.
public struct FHIRCoding: Codable, Hashable, Sendable {
    public var system: String?
    public var code: String?
    public var display: String?

    public init(system: String? = nil, code: String? = nil, display: String? = nil) {
        self.system = system
        self.code = code
        self.display = display
    }
}

/// `CodeableConcept`.
public struct FHIRCodeableConcept: Codable, Hashable, Sendable {
    public var coding: [FHIRCoding]?
    public var text: String?

    public init(coding: [FHIRCoding]? = nil, text: String? = nil) {
        self.coding = coding
        self.text = text
    }
}

/// `Identifier`, with the extensions GP Connect puts on an NHS number.
public struct FHIRIdentifier: Codable, Hashable, Sendable {
    public var `extension`: [FHIRExtension]?
    public var system: String?
    public var value: String?

    public init(system: String, value: String, extension: [FHIRExtension]? = nil) {
        self.system = system
        self.value = value
        self.extension = `extension`
    }
}

/// `Reference`: `Type/id`, `#id` for a contained resource, or a logical reference by identifier.
public struct FHIRReference: Codable, Hashable, Sendable {
    public var reference: String?
    public var identifier: FHIRIdentifier?
    public var display: String?

    public init(_ reference: String, display: String? = nil) {
        self.reference = reference
        self.display = display
    }

    public init(identifier: FHIRIdentifier, display: String? = nil) {
        self.identifier = identifier
        self.display = display
    }
}

/// `HumanName`.
public struct FHIRHumanName: Codable, Hashable, Sendable {
    public var use: String?
    public var text: String?
    public var family: String?
    public var given: [String]?
    public var prefix: [String]?

    public init(use: String? = nil, text: String? = nil, family: String, given: [String], prefix: [String]? = nil) {
        self.use = use
        self.text = text
        self.family = family
        self.given = given
        self.prefix = prefix
    }
}

/// `Address`.
public struct FHIRAddress: Codable, Hashable, Sendable {
    public var use: String?
    public var type: String?
    public var line: [String]?
    public var city: String?
    public var district: String?
    public var postalCode: String?

    public init(use: String? = nil, type: String? = nil, line: [String], city: String, district: String? = nil, postalCode: String) {
        self.use = use
        self.type = type
        self.line = line
        self.city = city
        self.district = district
        self.postalCode = postalCode
    }
}

/// `ContactPoint`.
public struct FHIRContactPoint: Codable, Hashable, Sendable {
    public var system: String?
    public var value: String?
    public var use: String?

    public init(system: String, value: String, use: String? = nil) {
        self.system = system
        self.value = value
        self.use = use
    }
}

/// `Period`: FHIR `dateTime`s with their offsets.
public struct FHIRPeriod: Codable, Hashable, Sendable {
    public var start: String?
    public var end: String?

    public init(start: String?, end: String?) {
        self.start = start
        self.end = end
    }
}

/// `Extension`, with the value types GP Connect's appointment extensions use. Nested extensions
/// (complex extensions such as the registration details) go in `extension`.
public struct FHIRExtension: Codable, Hashable, Sendable {
    public var url: String
    public var valueCode: String?
    public var valueString: String?
    public var valueBoolean: Bool?
    public var valueDateTime: String?
    public var valueReference: FHIRReference?
    public var valueCodeableConcept: FHIRCodeableConcept?
    public var `extension`: [FHIRExtension]?

    public init(url: String, valueCode: String? = nil, valueString: String? = nil, valueBoolean: Bool? = nil, valueDateTime: String? = nil,
                valueReference: FHIRReference? = nil, valueCodeableConcept: FHIRCodeableConcept? = nil, extension: [FHIRExtension]? = nil) {
        self.url = url
        self.valueCode = valueCode
        self.valueString = valueString
        self.valueBoolean = valueBoolean
        self.valueDateTime = valueDateTime
        self.valueReference = valueReference
        self.valueCodeableConcept = valueCodeableConcept
        self.extension = `extension`
    }
}
