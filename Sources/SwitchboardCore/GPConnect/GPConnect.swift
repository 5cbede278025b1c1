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
        public static let asid = "https://fhir.nhs.uk/Id/nhsSpineASID"
        public static let partyKey = "https://fhir.nhs.uk/Id/nhsMhsPartyKey"
        public static let interactionID = "https://fhir.nhs.uk/Id/nhsServiceInteractionId"
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
