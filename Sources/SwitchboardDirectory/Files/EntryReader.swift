public import SwitchboardCore
public import Yams

/// Reads one directory entry from a YAML (or JSON) mapping, reporting every missing, unknown or
/// malformed field with the rule it breaks. The RoutingTables files and the management API both
/// read entries through here, so both give the same messages.
public enum EntryReader {
    /// What reading one entry gave.
    public struct Result: Sendable {
        public var entry: DirectoryEntry?
        public var issues: [ValidationIssue]
        /// The line the entry starts on.
        public var line: Int?
    }

    /// Reads an entry of `kind` from `node`. Systems and endpoints take their organisation from
    /// `ods` (the file they are in) or, when `nil`, from an `ods` field. `version` is accepted
    /// and ignored, so an entry read from the API can be sent back.
    public static func read(_ kind: EntityKind, _ node: Node, file: String, ods: ODSCode? = nil, acceptVersion: Bool = false) -> Result {
        var issues: [ValidationIssue] = []
        let extra: Set<String> = acceptVersion ? ["version"] : []
        switch kind {
        case .organisation:
            guard var reader = YAMLFieldReader(node, file: file, allowed: Set(["ods", "name", "kind", "status"]).union(extra), issues: &issues, what: "an organisation") else {
                return Result(entry: nil, issues: issues, line: node.mark?.line)
            }
            let ods = reader.identifier("ods", as: ODSCode.self, rule: .malformedODSCode)
            reader.entry = ods.map { EntityRef(.organisation, $0.rawValue) }
            reader.checkUnknownKeys()
            let name = reader.string("name")
            let organisationKind = reader.choice("kind", as: Organisation.Kind.self)
            let status = reader.choice("status", as: RecordStatus.self, default: .active)
            var entry: DirectoryEntry?
            if let ods, let name, let organisationKind, let status {
                entry = .organisation(Organisation(ods: ods, name: name, kind: organisationKind, status: status))
            }
            return Result(entry: entry, issues: issues + reader.issues, line: reader.line)
        case .interaction: return readInteraction(node, file: file, extra: extra)
        case .agreement: return readAgreement(node, file: file, extra: extra)
        case .system: return readSystem(node, file: file, ods: ods, extra: extra)
        case .endpoint: return readEndpoint(node, file: file, ods: ods, extra: extra)
        }
    }

    static func readInteraction(_ node: Node, file path: String, extra: Set<String>) -> Result {
    var issues: [ValidationIssue] = []
        guard var reader = YAMLFieldReader(node, file: path, allowed: Set(["id", "name", "method", "path", "scope", "status"]).union(extra),
                                           issues: &issues, what: "an interaction") else { return Result(entry: nil, issues: issues, line: node.mark?.line) }
        let id = reader.identifier("id", as: InteractionID.self, rule: .malformedInteractionID)
        reader.entry = id.map { EntityRef(.interaction, $0.rawValue) }
        reader.checkUnknownKeys()
        let name = reader.string("name")
        let method = reader.choice("method", as: HTTPMethodName.self)
        let status = reader.choice("status", as: RecordStatus.self, default: .active)
        let scope = reader.string("scope")
        var pattern: PathPattern?
        if let text = reader.string("path") {
            do { pattern = try PathPattern(validating: text) } catch {
                reader.report("path", .malformedPathPattern, error.description, at: reader.node("path"))
            }
        }
        issues += reader.issues
        guard let id, let name, let method, let status, let scope, let pattern else { return Result(entry: nil, issues: issues, line: reader.line) }
        return Result(entry: .interaction(Interaction(id: id, name: name, method: method, path: pattern, scope: scope, status: status)), issues: issues, line: reader.line)
    }

    static func readAgreement(_ node: Node, file path: String, extra: Set<String>) -> Result {
    var issues: [ValidationIssue] = []
        guard var reader = YAMLFieldReader(node, file: path, allowed: Set(["id", "description", "consumer", "provider", "interactions", "status"]).union(extra),
                                           issues: &issues, what: "a sharing agreement") else { return Result(entry: nil, issues: issues, line: node.mark?.line) }
        let id = reader.identifier("id", as: AgreementID.self, rule: .malformedAgreementID)
        reader.entry = id.map { EntityRef(.agreement, $0.rawValue) }
        reader.checkUnknownKeys()
        let description = reader.string("description", required: false) ?? ""
        func selector(_ field: String) -> PartySelector? {
            guard let text = reader.string(field) else { return nil }
            do { return try PartySelector(parsing: text) } catch {
                reader.report(field, .malformedSelector, error.description, at: reader.node(field))
                return nil
            }
        }
        let consumer = selector("consumer")
        let provider = selector("provider")
        var interactions: InteractionSelector?
        if let node = reader.node("interactions"), node.scalar?.string == "any" {
            interactions = .any
        } else if reader.node("interactions") == nil {
            reader.report("interactions", .missingField, "'interactions' is required (a list of URNs, or 'any')")
        } else if let ids = reader.interactions("interactions") {
            interactions = .listed(ids)
        }
        let status = reader.choice("status", as: RecordStatus.self, default: .active)
        issues += reader.issues
        guard let id, let consumer, let provider, let interactions, let status else { return Result(entry: nil, issues: issues, line: reader.line) }
        return Result(entry: .agreement(SharingAgreement(id: id, description: description, consumer: consumer, provider: provider,
                                           interactions: interactions, status: status)), issues: issues, line: reader.line)
    }

    static func readSystem(_ node: Node, file path: String, ods context: ODSCode?, extra: Set<String>) -> Result {
    var issues: [ValidationIssue] = []
        guard var reader = YAMLFieldReader(node, file: path, allowed: Set(["asid", "name", "partyKey", "supplier", "certificateFQDN", "sends", "receives", "status"]).union(extra).union(context == nil ? ["ods"] : []),
                                           issues: &issues, what: "a system") else { return Result(entry: nil, issues: issues, line: node.mark?.line) }
        let asid = reader.identifier("asid", as: ASID.self, rule: .malformedASID)
        reader.entry = asid.map { EntityRef(.system, $0.rawValue) }
        reader.checkUnknownKeys()
        let ods = context ?? reader.identifier("ods", as: ODSCode.self, rule: .malformedODSCode)
        let name = reader.string("name")
        let partyKey = reader.identifier("partyKey", as: PartyKey.self, rule: .malformedPartyKey)
        let supplier = reader.identifier("supplier", as: ODSCode.self, rule: .malformedODSCode, required: false)
        let fqdn = reader.string("certificateFQDN", required: false)
        let sends = reader.interactions("sends")
        let receives = reader.interactions("receives")
        let status = reader.choice("status", as: RecordStatus.self, default: .active)
        issues += reader.issues
        guard let asid, let ods, let name, let partyKey, let sends, let receives, let status else { return Result(entry: nil, issues: issues, line: reader.line) }
        return Result(entry: .system(AccreditedSystem(asid: asid, ods: ods, partyKey: partyKey, name: name, supplier: supplier, certificateFQDN: fqdn,
                                        sends: sends, receives: receives, status: status)), issues: issues, line: reader.line)
    }

    static func readEndpoint(_ node: Node, file path: String, ods context: ODSCode?, extra: Set<String>) -> Result {
    var issues: [ValidationIssue] = []
        guard var reader = YAMLFieldReader(node, file: path, allowed: Set(["cpaId", "partyKey", "address", "fqdn", "interactions", "status"]).union(extra).union(context == nil ? ["ods"] : []),
                                           issues: &issues, what: "an endpoint") else { return Result(entry: nil, issues: issues, line: node.mark?.line) }
        let cpaID = reader.identifier("cpaId", as: CPAID.self, rule: .malformedCPAID)
        reader.entry = cpaID.map { EntityRef(.endpoint, $0.rawValue) }
        reader.checkUnknownKeys()
        let ods = context ?? reader.identifier("ods", as: ODSCode.self, rule: .malformedODSCode)
        let partyKey = reader.identifier("partyKey", as: PartyKey.self, rule: .malformedPartyKey)
        var address: EndpointAddress?
        if let text = reader.string("address") {
            do { address = try EndpointAddress(validating: text) } catch {
                let rule: ValidationRule = error == .notHTTPS ? .endpointNotHTTPS : .malformedEndpointAddress
                reader.report("address", rule, "'\(text)' \(error.message)", at: reader.node("address"))
            }
        }
        let fqdn = reader.string("fqdn", required: false)
        let interactions = reader.interactions("interactions")
        let status = reader.choice("status", as: RecordStatus.self, default: .active)
        issues += reader.issues
        guard let cpaID, let ods, let partyKey, let address, let interactions, let status else { return Result(entry: nil, issues: issues, line: reader.line) }
        return Result(entry: .endpoint(Endpoint(cpaID: cpaID, partyKey: partyKey, ods: ods, address: address, fqdn: fqdn,
                                  interactions: interactions, status: status)), issues: issues, line: reader.line)
    }
}
