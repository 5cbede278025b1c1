import ArgumentParser
import SwitchboardApp

/// The fields of one kind of entry as command-line options. Adding requires the mandatory
/// ones; updating changes only those given.
protocol EntryOptions: ParsableArguments {
    static var kind: RoutesOperations.Kind { get }
    /// The options given, by their names.
    var fields: EntryFields { get }
}

struct OrganisationOptions: EntryOptions {
    static let kind = RoutesOperations.Kind.organisation
    @Option(help: "The organisation's name.") var name: String?
    @Option(help: "gp-practice, urgent-care, system-supplier or other.") var kind: String?

    var fields: EntryFields {
        EntryFields(options: [("--name", name), ("--kind", kind)])
    }
}

struct SystemOptions: EntryOptions {
    static let kind = RoutesOperations.Kind.system
    @Option(help: "The owning organisation's ODS code (nhsIDCode).") var ods: String?
    @Option(help: "The party key joining the system to its endpoints (nhsMhsPartyKey).") var partyKey: String?
    @Option(help: "The product name (nhsProductName).") var name: String?
    @Option(help: "The supplier's ODS code (nhsMhsManufacturerOrg); '' to clear.") var supplier: String?
    @Option(help: "The FQDN the system's client certificate carries; required to send. '' to clear.") var certificateFqdn: String?
    @Option(help: "Comma-separated interaction URNs the system may send (nhsAsSvcIA); '' for none.") var sends: String?
    @Option(help: "Comma-separated interaction URNs the system serves as a provider; '' for none.") var receives: String?

    var fields: EntryFields {
        EntryFields(options: [
            ("--ods", ods),
            ("--party-key", partyKey),
            ("--name", name),
            ("--supplier", supplier),
            ("--certificate-fqdn", certificateFqdn),
            ("--sends", sends),
            ("--receives", receives),
        ])
    }
}

struct EndpointOptions: EntryOptions {
    static let kind = RoutesOperations.Kind.endpoint
    @Option(help: "The party key of the system this endpoint serves (nhsMhsPartyKey).") var partyKey: String?
    @Option(help: "The organisation's ODS code (nhsIDCode).") var ods: String?
    @Option(help: "The FHIR service root, https, no trailing '/' (nhsMhsEndPoint).") var address: String?
    @Option(help: "nhsMhsFQDN, when it differs from the address's host.") var fqdn: String?
    @Option(help: "Comma-separated interaction URNs served here (nhsMhsSvcIA).") var interactions: String?

    var fields: EntryFields {
        EntryFields(options: [
            ("--party-key", partyKey),
            ("--ods", ods),
            ("--address", address),
            ("--fqdn", fqdn),
            ("--interactions", interactions),
        ])
    }
}

struct InteractionOptions: EntryOptions {
    static let kind = RoutesOperations.Kind.interaction
    @Option(help: "A short human name.") var name: String?
    @Option(help: "GET, POST, PUT, DELETE, PATCH or OPTIONS.") var method: String?
    @Option(help: "The FHIR path relative to the service root, with {id} placeholders, e.g. /Appointment/{id}.") var path: String?
    @Option(help: "The JWT requested_scope it needs, e.g. organization/*.read.") var scope: String?

    var fields: EntryFields {
        EntryFields(options: [("--name", name), ("--method", method), ("--path", path), ("--scope", scope)])
    }
}

struct AgreementOptions: EntryOptions {
    static let kind = RoutesOperations.Kind.agreement
    @Option(help: "What the agreement is for.") var description: String?
    @Option(help: "Who may send: any, asid:<ASID> or ods:<ODS code>.") var consumer: String?
    @Option(help: "To whom: any, asid:<ASID> or ods:<ODS code>.") var provider: String?
    @Option(help: "Comma-separated interaction URNs, or 'any'.") var interactions: String?

    var fields: EntryFields {
        EntryFields(options: [
            ("--description", description),
            ("--consumer", consumer),
            ("--provider", provider),
            ("--interactions", interactions),
        ])
    }
}
