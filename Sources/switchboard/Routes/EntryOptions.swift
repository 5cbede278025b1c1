import Foundation
import ArgumentParser
import SwitchboardCore
import SwitchboardDirectory

/// Parses an option's text as a domain identifier, naming the option in the error.
func parseOption<T: DomainIdentifier>(_ text: String, _ option: String, as type: T.Type = T.self) throws -> T {
    do { return try T(validating: text) } catch { throw CLIError("\(option): \(error)") }
}

/// A comma-separated list of interaction URNs; the empty string is the empty list.
func parseInteractions(_ text: String, _ option: String) throws -> [InteractionID] {
    try text.split(separator: ",").map { try parseOption($0.trimmingCharacters(in: .whitespaces), option) }
}

func required<T>(_ value: T?, _ option: String) throws -> T {
    guard let value else { throw CLIError("\(option) is required when adding") }
    return value
}

func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ option: String) throws -> T? where T.RawValue == String {
    guard let text else { return nil }
    guard let value = T(rawValue: text) else {
        throw CLIError("\(option): '\(text)' must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return value
}

/// The fields of one kind of entry as command-line options. Adding requires the mandatory
/// ones; updating changes only those given.
protocol EntryOptions: ParsableArguments {
    static var kind: EntityKind { get }
    /// Builds the entry with key `key`, starting from `existing` when updating.
    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry
}

struct OrganisationOptions: EntryOptions {
    static let kind = EntityKind.organisation
    @Option(help: "The organisation's name.") var name: String?
    @Option(help: "gp-practice, urgent-care, system-supplier or other.") var kind: String?

    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let ods: ODSCode = try parseOption(key, "ODS code")
        guard case .organisation(var value)? = existing else {
            return .organisation(Organisation(ods: ods, name: try required(name, "--name"),
                                              kind: try required(try choice(kind, "--kind"), "--kind")))
        }
        if let name { value.name = name }
        if let newKind: Organisation.Kind = try choice(kind, "--kind") { value.kind = newKind }
        return .organisation(value)
    }
}

struct SystemOptions: EntryOptions {
    static let kind = EntityKind.system
    @Option(help: "The owning organisation's ODS code (nhsIDCode).") var ods: String?
    @Option(help: "The party key joining the system to its endpoints (nhsMhsPartyKey).") var partyKey: String?
    @Option(help: "The product name (nhsProductName).") var name: String?
    @Option(help: "The supplier's ODS code (nhsMhsManufacturerOrg); '' to clear.") var supplier: String?
    @Option(help: "The FQDN the system's client certificate carries; required to send. '' to clear.") var certificateFqdn: String?
    @Option(help: "Comma-separated interaction URNs the system may send (nhsAsSvcIA); '' for none.") var sends: String?
    @Option(help: "Comma-separated interaction URNs the system serves as a provider; '' for none.") var receives: String?

    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let asid: ASID = try parseOption(key, "ASID")
        var value: AccreditedSystem
        if case .system(let current)? = existing {
            value = current
        } else {
            value = AccreditedSystem(asid: asid, ods: try parseOption(try required(ods, "--ods"), "--ods"),
                                     partyKey: try parseOption(try required(partyKey, "--party-key"), "--party-key"), name: try required(name, "--name"))
        }
        if let ods { value.ods = try parseOption(ods, "--ods") }
        if let partyKey { value.partyKey = try parseOption(partyKey, "--party-key") }
        if let name { value.name = name }
        if let supplier { value.supplier = supplier.isEmpty ? nil : try parseOption(supplier, "--supplier") }
        if let certificateFqdn {
            if let problem = DirectoryValidator.fqdnProblem(certificateFqdn), !certificateFqdn.isEmpty { throw CLIError("--certificate-fqdn: \(problem)") }
            value.certificateFQDN = certificateFqdn.isEmpty ? nil : certificateFqdn
        }
        if let sends { value.sends = Array(Set(try parseInteractions(sends, "--sends"))).sorted() }
        if let receives { value.receives = Array(Set(try parseInteractions(receives, "--receives"))).sorted() }
        return .system(value)
    }
}

struct EndpointOptions: EntryOptions {
    static let kind = EntityKind.endpoint
    @Option(help: "The party key of the system this endpoint serves (nhsMhsPartyKey).") var partyKey: String?
    @Option(help: "The organisation's ODS code (nhsIDCode).") var ods: String?
    @Option(help: "The FHIR service root, https, no trailing '/' (nhsMhsEndPoint).") var address: String?
    @Option(help: "nhsMhsFQDN, when it differs from the address's host.") var fqdn: String?
    @Option(help: "Comma-separated interaction URNs served here (nhsMhsSvcIA).") var interactions: String?

    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let cpaID: CPAID = try parseOption(key, "CPA id")
        func parsedAddress(_ text: String) throws -> EndpointAddress {
            do { return try EndpointAddress(validating: text) } catch { throw CLIError("--address: '\(text)' \(error.message)") }
        }
        var value: Endpoint
        if case .endpoint(let current)? = existing {
            value = current
            if let address {
                let wasDerived = value.fqdn == value.address.host
                value.address = try parsedAddress(address)
                if wasDerived && fqdn == nil { value.fqdn = value.address.host }
            }
        } else {
            value = Endpoint(cpaID: cpaID, partyKey: try parseOption(try required(partyKey, "--party-key"), "--party-key"),
                             ods: try parseOption(try required(ods, "--ods"), "--ods"), address: try parsedAddress(try required(address, "--address")),
                             interactions: try parseInteractions(try required(interactions, "--interactions"), "--interactions"))
        }
        if let partyKey { value.partyKey = try parseOption(partyKey, "--party-key") }
        if let ods { value.ods = try parseOption(ods, "--ods") }
        if let fqdn {
            if let problem = DirectoryValidator.fqdnProblem(fqdn) { throw CLIError("--fqdn: \(problem)") }
            value.fqdn = fqdn
        }
        if let interactions { value.interactions = Array(Set(try parseInteractions(interactions, "--interactions"))).sorted() }
        return .endpoint(value)
    }
}

struct InteractionOptions: EntryOptions {
    static let kind = EntityKind.interaction
    @Option(help: "A short human name.") var name: String?
    @Option(help: "GET, POST, PUT, DELETE, PATCH or OPTIONS.") var method: String?
    @Option(help: "The FHIR path relative to the service root, with {id} placeholders, e.g. /Appointment/{id}.") var path: String?
    @Option(help: "The JWT requested_scope it needs, e.g. organization/*.read.") var scope: String?

    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let id: InteractionID = try parseOption(key, "interaction ID")
        func pattern(_ text: String) throws -> PathPattern {
            do { return try PathPattern(validating: text) } catch { throw CLIError("--path: \(error)") }
        }
        guard case .interaction(var value)? = existing else {
            return .interaction(Interaction(id: id, name: try required(name, "--name"), method: try required(try choice(method, "--method"), "--method"),
                                            path: try pattern(try required(path, "--path")), scope: try required(scope, "--scope")))
        }
        if let name { value.name = name }
        if let newMethod: HTTPMethodName = try choice(method, "--method") { value.method = newMethod }
        if let path { value.path = try pattern(path) }
        if let scope { value.scope = scope }
        return .interaction(value)
    }
}

struct AgreementOptions: EntryOptions {
    static let kind = EntityKind.agreement
    @Option(help: "What the agreement is for.") var description: String?
    @Option(help: "Who may send: any, asid:<ASID> or ods:<ODS code>.") var consumer: String?
    @Option(help: "To whom: any, asid:<ASID> or ods:<ODS code>.") var provider: String?
    @Option(help: "Comma-separated interaction URNs, or 'any'.") var interactions: String?

    func entry(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let id: AgreementID = try parseOption(key, "agreement id")
        func selector(_ text: String, _ option: String) throws -> PartySelector {
            do { return try PartySelector(parsing: text) } catch { throw CLIError("\(option): \(error)") }
        }
        func covered(_ text: String) throws -> InteractionSelector {
            text == "any" ? .any : .listed(try parseInteractions(text, "--interactions"))
        }
        guard case .agreement(var value)? = existing else {
            return .agreement(SharingAgreement(id: id, description: description ?? "", consumer: try selector(try required(consumer, "--consumer"), "--consumer"),
                                               provider: try selector(try required(provider, "--provider"), "--provider"),
                                               interactions: try covered(try required(interactions, "--interactions"))))
        }
        if let description { value.description = description }
        if let consumer { value.consumer = try selector(consumer, "--consumer") }
        if let provider { value.provider = try selector(provider, "--provider") }
        if let interactions { value.interactions = try covered(interactions) }
        return .agreement(value)
    }
}
