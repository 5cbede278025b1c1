// The FHIR STU3 (3.0.1) data types GP Connect 1.6.0's appointment resources use, as far as the
// simulator needs them. Optional elements are left out of the JSON when nil.

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

/// `Reference`: `Type/id`, or `#id` for a contained resource.
public struct FHIRReference: Codable, Hashable, Sendable {
    public var reference: String?
    public var display: String?

    public init(_ reference: String, display: String? = nil) {
        self.reference = reference
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

/// The systems, profiles and extensions GP Connect 1.6.0 names, spelt once.
public enum GPConnect {
    public static let structureDefinition = "https://fhir.nhs.uk/STU3/StructureDefinition/"

    /// `meta.profile` for each resource the appointment capability serves.
    public enum Profile {
        public static let slot = structureDefinition + "GPConnect-Slot-1"
        public static let schedule = structureDefinition + "GPConnect-Schedule-1"
        public static let appointment = structureDefinition + "GPConnect-Appointment-1"
        public static let practitioner = structureDefinition + "CareConnect-GPC-Practitioner-1"
        public static let location = structureDefinition + "CareConnect-GPC-Location-1"
        public static let organization = structureDefinition + "CareConnect-GPC-Organization-1"
        public static let patient = structureDefinition + "CareConnect-GPC-Patient-1"
        public static let operationOutcome = structureDefinition + "GPConnect-OperationOutcome-1"
    }

    /// Identifier systems.
    public enum System {
        public static let odsCode = "https://fhir.nhs.uk/Id/ods-organization-code"
        public static let sdsUserID = "https://fhir.nhs.uk/Id/sds-user-id"
        public static let sdsRoleProfileID = "https://fhir.nhs.uk/Id/sds-role-profile-id"
        public static let nhsNumber = "https://fhir.nhs.uk/Id/nhs-number"
        public static let organisationType = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1"
        public static let jobRoleName = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1"
        public static let nhsNumberVerificationStatus = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1"
        public static let spineErrorCode = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"
    }

    /// Extension URLs.
    public enum Extension {
        public static let deliveryChannel = structureDefinition + "Extension-GPConnect-DeliveryChannel-2"
        public static let practitionerRole = structureDefinition + "Extension-GPConnect-PractitionerRole-1"
        public static let bookingOrganisation = structureDefinition + "Extension-GPConnect-BookingOrganisation-1"
        public static let cancellationReason = structureDefinition + "Extension-GPConnect-AppointmentCancellationReason-1"
        public static let nhsNumberVerificationStatus = structureDefinition + "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"
        public static let registrationDetails = structureDefinition + "Extension-CareConnect-GPC-RegistrationDetails-1"
    }

    /// The prefix every GP Connect FHIR interaction id shares.
    public static let interactionPrefix = "urn:nhs:names:services:gpconnect:fhir:"
}
