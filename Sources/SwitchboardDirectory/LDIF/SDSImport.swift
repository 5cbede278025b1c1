import Foundation
public import SwitchboardCore

/// Turns an SDS LDIF export (`nhsAs` and `nhsMhs` entries, optionally organisation entries) into
/// directory entries.
///
/// - An `nhsAs` becomes an accredited system: `uniqueIdentifier` → ASID, `nhsIDCode` → ODS code,
///   `nhsMhsPartyKey`, `nhsProductName` → name, `nhsMhsManufacturerOrg` → supplier,
///   `nhsAsSvcIA` → sends. What it receives is what the `nhsMhs` entries with its party key serve.
///   Its certificate FQDN is the `nhsMhsFQDN` of the `nhsMhs` entry that shares its party key.
/// - An `nhsMhs` with an `nhsMhsEndPoint` becomes an endpoint named by `nhsMhsCPAId`.
/// - An organisation entry (`objectClass: nhsOrg` or `organization`) gives the name (`o`) of the
///   ODS code in `uniqueIdentifier`.
/// - An ODS code the entries name (`nhsIDCode`, `nhsMhsManufacturerOrg`) that is neither in the
///   directory nor in the export becomes an organisation named by its code: an SDS export of
///   `ou=services` carries no organisation entries. Its kind comes from the entries: a practice
///   when it serves interactions, urgent care when it only sends them, a system supplier when it
///   makes systems.
///
/// Only interactions in the catalogue are kept (an SDS export lists every Spine service);
/// what was left out is reported. Entries left with nothing routable are skipped.
public struct SDSImport: Sendable {
    /// What the import produced.
    public struct Result: Sendable {
        public var entries: [DirectoryEntry]
        public var locations: [EntityRef: SourceLocation]
        /// Facts an administrator should see: interactions dropped, addresses normalised, entries skipped.
        public var notes: [String]
    }

    public var file: String
    public var catalogue: Set<InteractionID>
    /// Organisations already in the directory; an imported system may belong to one of them.
    public var knownOrganisations: [ODSCode: Organisation]

    public init(file: String, catalogue: Set<InteractionID>, knownOrganisations: [ODSCode: Organisation]) {
        self.file = file
        self.catalogue = catalogue
        self.knownOrganisations = knownOrganisations
    }

    public func run(_ text: String) throws(DirectoryValidationError) -> Result {
        let records: [LDIFRecord]
        do { records = try LDIFParser.parse(text) } catch {
            throw DirectoryValidationError(issues: [ValidationIssue(entry: nil, field: nil, rule: .malformedValue, message: error.message,
                                                                    location: SourceLocation(file: file, line: error.line))])
        }
        var issues: [ValidationIssue] = []
        var notes: [String] = []
        var droppedInteractions: Set<String> = []
        var locations: [EntityRef: SourceLocation] = [:]
        var entries: [DirectoryEntry] = []

        func location(_ record: LDIFRecord) -> SourceLocation { SourceLocation(file: file, line: record.line) }
        func issue(_ record: LDIFRecord, _ ref: EntityRef?, _ field: String, _ rule: ValidationRule, _ message: String) {
            issues.append(ValidationIssue(entry: ref, field: field, rule: rule, message: message, location: location(record)))
        }
        func single<T: DomainIdentifier>(_ record: LDIFRecord, _ attribute: String, _ type: T.Type, _ rule: ValidationRule, _ ref: EntityRef?) -> T? {
            let values = record[attribute]
            guard values.count == 1 else {
                issue(record, ref, attribute, values.isEmpty ? .missingField : .malformedValue,
                      values.isEmpty ? "\(attribute) is required" : "\(attribute) must have one value, has \(values.count)")
                return nil
            }
            do { return try T(validating: values[0]) } catch {
                issue(record, ref, attribute, rule, error.description)
                return nil
            }
        }
        func catalogued(_ values: [String]) -> [InteractionID] {
            values.compactMap { text in
                if let id = InteractionID(text), catalogue.contains(id) { return id }
                droppedInteractions.insert(text)
                return nil
            }
        }

        // Organisations.
        var organisations = knownOrganisations
        var importedOrganisations: [ODSCode: LDIFRecord] = [:]
        for record in records where record.isA("nhsOrg") || record.isA("organization") {
            guard let ods = single(record, "uniqueIdentifier", ODSCode.self, .malformedODSCode, nil) else { continue }
            guard let name = record.first("o"), !name.isEmpty else {
                issue(record, EntityRef(.organisation, ods.rawValue), "o", .missingField, "o (the organisation's name) is required")
                continue
            }
            let existing = organisations[ods]
            organisations[ods] = Organisation(ods: ods, name: name, kind: existing?.kind ?? .other, status: .active, version: existing?.version ?? 0)
            importedOrganisations[ods] = record
        }

        // Message handling servers, by party key.
        struct MHS { var record: LDIFRecord; var partyKey: PartyKey; var fqdn: String?; var interactions: [InteractionID] }
        var mhsByPartyKey: [PartyKey: [MHS]] = [:]
        for record in records where record.isA("nhsMhs") {
            guard let partyKey = single(record, "nhsMhsPartyKey", PartyKey.self, .malformedPartyKey, nil) else { continue }
            mhsByPartyKey[partyKey, default: []].append(MHS(record: record, partyKey: partyKey, fqdn: record.first("nhsMhsFQDN"),
                                                             interactions: catalogued(record["nhsMhsSvcIA"])))
        }

        var receivesByPartyKey: [PartyKey: Set<InteractionID>] = [:]
        var kindHints: [ODSCode: Organisation.Kind] = [:]
        for (partyKey, servers) in mhsByPartyKey {
            for server in servers where !server.interactions.isEmpty {
                let record = server.record
                guard let addressText = record.first("nhsMhsEndPoint") else { continue }
                guard let cpaText = record.first("nhsMhsCPAId") ?? record.first("uniqueIdentifier") else {
                    issue(record, nil, "nhsMhsCPAId", .missingField, "nhsMhsCPAId is required for an endpoint")
                    continue
                }
                let cpaID: CPAID
                do { cpaID = try CPAID(validating: cpaText) } catch {
                    issue(record, nil, "nhsMhsCPAId", .malformedCPAID, error.description)
                    continue
                }
                let ref = EntityRef(.endpoint, cpaID.rawValue)
                guard let ods = single(record, "nhsIDCode", ODSCode.self, .malformedODSCode, ref) else { continue }
                var normalised = addressText
                if normalised.hasSuffix("/") && normalised.count > "https://".count {
                    normalised.removeLast()
                    notes.append("\(file):\(record.line): endpoint \(cpaID): address '\(addressText)' recorded without its trailing '/'")
                }
                let address: EndpointAddress
                do { address = try EndpointAddress(validating: normalised) } catch {
                    issue(record, ref, "nhsMhsEndPoint", error == .notHTTPS ? .endpointNotHTTPS : .malformedEndpointAddress, "'\(addressText)' \(error.message)")
                    continue
                }
                let endpoint = Endpoint(cpaID: cpaID, partyKey: partyKey, ods: ods, address: address,
                                        fqdn: server.fqdn.map { $0.lowercased() }, interactions: server.interactions)
                if locations[ref] != nil {
                    issue(record, ref, "nhsMhsCPAId", .duplicateCPAID, "CPA id \(cpaID) appears twice")
                    continue
                }
                locations[ref] = location(record)
                entries.append(.endpoint(endpoint))
                receivesByPartyKey[partyKey, default: []].formUnion(server.interactions)
                kindHints[ods] = .gpPractice
            }
        }

        var skippedSystems = 0
        for record in records where record.isA("nhsAs") {
            guard let asid = single(record, "uniqueIdentifier", ASID.self, .malformedASID, nil) else { continue }
            let ref = EntityRef(.system, asid.rawValue)
            guard let ods = single(record, "nhsIDCode", ODSCode.self, .malformedODSCode, ref),
                  let partyKey = single(record, "nhsMhsPartyKey", PartyKey.self, .malformedPartyKey, ref) else { continue }
            let sends = catalogued(record["nhsAsSvcIA"])
            let receives = receivesByPartyKey[partyKey] ?? []
            guard !sends.isEmpty || !receives.isEmpty else { skippedSystems += 1; continue }
            let fqdns = Set((mhsByPartyKey[partyKey] ?? []).compactMap { $0.fqdn?.lowercased() })
            if fqdns.count > 1 {
                issue(record, ref, "nhsMhsFQDN", .malformedFQDN,
                      "the nhsMhs entries with party key \(partyKey) name different FQDNs (\(fqdns.sorted().joined(separator: ", "))); the certificate FQDN is ambiguous")
                continue
            }
            var supplier: ODSCode?
            if let text = record.first("nhsMhsManufacturerOrg") {
                supplier = ODSCode(text)
                if supplier == nil { issue(record, ref, "nhsMhsManufacturerOrg", .malformedODSCode, "'\(text)' is not an ODS code") }
            }
            let name = record.first("nhsProductName") ?? "System \(asid)"
            if locations[ref] != nil {
                issue(record, ref, "uniqueIdentifier", .duplicateASID, "ASID \(asid) appears twice")
                continue
            }
            locations[ref] = location(record)
            entries.append(.system(AccreditedSystem(asid: asid, ods: ods, partyKey: partyKey, name: name, supplier: supplier,
                                                    certificateFQDN: fqdns.first, sends: sends, receives: Array(receives))))
            if receives.isEmpty && kindHints[ods] == nil { kindHints[ods] = .urgentCare }
        }

        for (ods, record) in importedOrganisations {
            guard var organisation = organisations[ods] else { continue }
            if knownOrganisations[ods] == nil { organisation.kind = kindHints[ods] ?? .other }
            let ref = EntityRef(.organisation, ods.rawValue)
            locations[ref] = location(record)
            entries.append(.organisation(organisation))
        }

        // Organisations the entries name without carrying.
        var named: [ODSCode: (kind: Organisation.Kind, line: Int)] = [:]
        for entry in entries {
            switch entry {
            case .endpoint(let endpoint):
                named[endpoint.ods] = named[endpoint.ods] ?? (.gpPractice, locations[entry.ref]?.line ?? 0)
            case .system(let system):
                named[system.ods] = named[system.ods] ?? (kindHints[system.ods] ?? .other, locations[entry.ref]?.line ?? 0)
                if let supplier = system.supplier, named[supplier] == nil || named[supplier]?.kind == .other {
                    named[supplier] = (.systemSupplier, locations[entry.ref]?.line ?? 0)
                }
            default: break
            }
        }
        var created: [ODSCode] = []
        for (ods, found) in named.sorted(by: { $0.key < $1.key }) where organisations[ods] == nil {
            let ref = EntityRef(.organisation, ods.rawValue)
            locations[ref] = SourceLocation(file: file, line: found.line)
            entries.append(.organisation(Organisation(ods: ods, name: ods.rawValue, kind: found.kind, status: .active)))
            created.append(ods)
        }
        if !created.isEmpty {
            notes.append("created \(created.count) organisation\(created.count == 1 ? "" : "s") the export names but does not carry, "
                         + "each named by its ODS code until renamed: \(created.map(\.rawValue).joined(separator: ", "))")
        }

        if !droppedInteractions.isEmpty {
            notes.append("\(droppedInteractions.count) interaction ID(s) not in the catalogue were left out, e.g. \(droppedInteractions.sorted().prefix(3).joined(separator: ", "))")
        }
        if skippedSystems > 0 {
            notes.append(skippedSystems == 1 ? "1 nhsAs entry with no catalogued interaction was skipped"
                                              : "\(skippedSystems) nhsAs entries with no catalogued interaction were skipped")
        }
        guard issues.isEmpty else { throw DirectoryValidationError(issues: issues.sorted(by: ValidationIssue.stableOrder)) }
        return Result(entries: entries.sorted { $0.ref < $1.ref }, locations: locations, notes: notes)
    }
}
