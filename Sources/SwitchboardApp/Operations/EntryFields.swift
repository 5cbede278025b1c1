import Foundation
import SwitchboardCore
import SwitchboardDirectory

/// The fields of one directory entry as a person types them (`--name`, `--ods`, …; lists
/// comma-separated), turned into the entry. Adding needs the mandatory fields; updating changes
/// only those given. Each error names the option.
public struct EntryFields: Sendable {
    /// Each given option's text, by its name with the dashes (`--party-key`).
    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The options that were given, from each option's name and value (nil when not given).
    public init(options: [(name: String, value: String?)]) {
        values = Dictionary(options.compactMap { option in option.value.map { (option.name, $0) } }) { first, _ in first }
    }

    subscript(_ option: String) -> String? { values[option] }

    func required(_ option: String) throws -> String {
        guard let value = values[option] else { throw OperationError("\(option) is required when adding") }
        return value
    }

    func identifier<T: DomainIdentifier>(_ text: String, _ option: String, as type: T.Type = T.self) throws -> T {
        do { return try T(validating: text) } catch { throw OperationError("\(option): \(error)") }
    }

    /// A comma-separated list of interaction URNs; the empty string is the empty list.
    func interactions(_ text: String, _ option: String) throws -> [InteractionID] {
        try text.split(separator: ",").map { try identifier($0.trimmingCharacters(in: .whitespaces), option) }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ option: String, as type: T.Type = T.self) throws -> T? where T.RawValue == String {
        try Self.choice(values[option], option)
    }

    /// `text` as one of `T`'s values, naming `option` when it is none of them; nil when not given.
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ option: String) throws -> T? where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else {
            throw OperationError("\(option): '\(text)' must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// The entry of `kind` with key `key`, from `existing` when updating.
    func entry(_ kind: EntityKind, key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        switch kind {
        case .organisation: try organisation(key: key, existing: existing)
        case .system: try system(key: key, existing: existing)
        case .endpoint: try endpoint(key: key, existing: existing)
        case .interaction: try interaction(key: key, existing: existing)
        case .agreement: try agreement(key: key, existing: existing)
        }
    }

    func organisation(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let ods: ODSCode = try identifier(key, "ODS code")
        guard case .organisation(var value)? = existing else {
            guard let kind: Organisation.Kind = try choice("--kind") else { throw OperationError("--kind is required when adding") }
            return .organisation(Organisation(ods: ods, name: try required("--name"), kind: kind))
        }
        if let name = self["--name"] { value.name = name }
        if let kind: Organisation.Kind = try choice("--kind") { value.kind = kind }
        return .organisation(value)
    }

    func system(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let asid: ASID = try identifier(key, "ASID")
        var value: AccreditedSystem
        if case .system(let current)? = existing {
            value = current
        } else {
            value = AccreditedSystem(asid: asid, ods: try identifier(try required("--ods"), "--ods"),
                                     partyKey: try identifier(try required("--party-key"), "--party-key"), name: try required("--name"))
        }
        if let ods = self["--ods"] { value.ods = try identifier(ods, "--ods") }
        if let partyKey = self["--party-key"] { value.partyKey = try identifier(partyKey, "--party-key") }
        if let name = self["--name"] { value.name = name }
        if let supplier = self["--supplier"] { value.supplier = supplier.isEmpty ? nil : try identifier(supplier, "--supplier") }
        if let fqdn = self["--certificate-fqdn"] {
            if let problem = DirectoryValidator.fqdnProblem(fqdn), !fqdn.isEmpty { throw OperationError("--certificate-fqdn: \(problem)") }
            value.certificateFQDN = fqdn.isEmpty ? nil : fqdn
        }
        if let sends = self["--sends"] { value.sends = Array(Set(try interactions(sends, "--sends"))).sorted() }
        if let receives = self["--receives"] { value.receives = Array(Set(try interactions(receives, "--receives"))).sorted() }
        return .system(value)
    }

    func endpoint(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let cpaID: CPAID = try identifier(key, "CPA id")
        func address(_ text: String) throws -> EndpointAddress {
            do { return try EndpointAddress(validating: text) } catch { throw OperationError("--address: '\(text)' \(error.message)") }
        }
        var value: Endpoint
        if case .endpoint(let current)? = existing {
            value = current
            if let text = self["--address"] {
                let wasDerived = value.fqdn == value.address.host
                value.address = try address(text)
                if wasDerived && self["--fqdn"] == nil { value.fqdn = value.address.host }
            }
        } else {
            value = Endpoint(cpaID: cpaID, partyKey: try identifier(try required("--party-key"), "--party-key"),
                             ods: try identifier(try required("--ods"), "--ods"), address: try address(try required("--address")),
                             interactions: try interactions(try required("--interactions"), "--interactions"))
        }
        if let partyKey = self["--party-key"] { value.partyKey = try identifier(partyKey, "--party-key") }
        if let ods = self["--ods"] { value.ods = try identifier(ods, "--ods") }
        if let fqdn = self["--fqdn"] {
            if let problem = DirectoryValidator.fqdnProblem(fqdn) { throw OperationError("--fqdn: \(problem)") }
            value.fqdn = fqdn
        }
        if let served = self["--interactions"] { value.interactions = Array(Set(try interactions(served, "--interactions"))).sorted() }
        return .endpoint(value)
    }

    func interaction(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let id: InteractionID = try identifier(key, "interaction ID")
        func pattern(_ text: String) throws -> PathPattern {
            do { return try PathPattern(validating: text) } catch { throw OperationError("--path: \(error)") }
        }
        guard case .interaction(var value)? = existing else {
            guard let method: HTTPMethodName = try choice("--method") else { throw OperationError("--method is required when adding") }
            return .interaction(Interaction(id: id, name: try required("--name"), method: method,
                                            path: try pattern(try required("--path")), scope: try required("--scope")))
        }
        if let name = self["--name"] { value.name = name }
        if let method: HTTPMethodName = try choice("--method") { value.method = method }
        if let path = self["--path"] { value.path = try pattern(path) }
        if let scope = self["--scope"] { value.scope = scope }
        return .interaction(value)
    }

    func agreement(key: String, existing: DirectoryEntry?) throws -> DirectoryEntry {
        let id: AgreementID = try identifier(key, "agreement id")
        func selector(_ text: String, _ option: String) throws -> PartySelector {
            do { return try PartySelector(parsing: text) } catch { throw OperationError("\(option): \(error)") }
        }
        func covered(_ text: String) throws -> InteractionSelector {
            text == "any" ? .any : .listed(try interactions(text, "--interactions"))
        }
        guard case .agreement(var value)? = existing else {
            return .agreement(SharingAgreement(id: id, description: self["--description"] ?? "",
                                               consumer: try selector(try required("--consumer"), "--consumer"),
                                               provider: try selector(try required("--provider"), "--provider"),
                                               interactions: try covered(try required("--interactions"))))
        }
        if let description = self["--description"] { value.description = description }
        if let consumer = self["--consumer"] { value.consumer = try selector(consumer, "--consumer") }
        if let provider = self["--provider"] { value.provider = try selector(provider, "--provider") }
        if let interactions = self["--interactions"] { value.interactions = try covered(interactions) }
        return .agreement(value)
    }
}
