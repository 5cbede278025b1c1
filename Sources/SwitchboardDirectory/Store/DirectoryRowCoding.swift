import SwitchboardCore

/// How directory entries map onto relational rows, shared by every SQL store: one table per
/// kind, one column per field, lists of interaction URNs as space-separated text.
public enum DirectoryRowCoding {
    /// A column value, independent of the database driver.
    public enum Value: Hashable, Sendable {
        case text(String)
        case integer(Int)
        case null
    }

    /// Table name and column names, key column first, `version` last.
    public static func table(for kind: EntityKind) -> (name: String, columns: [String]) {
        switch kind {
        case .organisation: ("organisation", ["ods", "name", "kind", "status", "version"])
        case .system: ("accredited_system", ["asid", "ods", "party_key", "name", "supplier", "certificate_fqdn", "sends", "receives", "status", "version"])
        case .endpoint: ("endpoint", ["cpa_id", "party_key", "ods", "address", "fqdn", "interactions", "status", "version"])
        case .interaction: ("interaction", ["urn", "name", "method", "path", "scope", "status", "version"])
        case .agreement: ("sharing_agreement", ["id", "description", "consumer", "provider", "interactions", "status", "version"])
        }
    }

    /// The column values of `entry`, in ``table(for:)`` order.
    public static func values(of entry: DirectoryEntry) -> [Value] {
        func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
        func list(_ ids: [InteractionID]) -> Value { .text(ids.map(\.rawValue).joined(separator: " ")) }
        switch entry {
        case .organisation(let o):
            return [.text(o.ods.rawValue), .text(o.name), .text(o.kind.rawValue), .text(o.status.rawValue), .integer(o.version)]
        case .system(let s):
            return [.text(s.asid.rawValue), .text(s.ods.rawValue), .text(s.partyKey.rawValue), .text(s.name), text(s.supplier?.rawValue),
                    text(s.certificateFQDN), list(s.sends), list(s.receives), .text(s.status.rawValue), .integer(s.version)]
        case .endpoint(let e):
            return [.text(e.cpaID.rawValue), .text(e.partyKey.rawValue), .text(e.ods.rawValue), .text(e.address.rawValue), .text(e.fqdn),
                    list(e.interactions), .text(e.status.rawValue), .integer(e.version)]
        case .interaction(let i):
            return [.text(i.id.rawValue), .text(i.name), .text(i.method.rawValue), .text(i.path.rawValue), .text(i.scope),
                    .text(i.status.rawValue), .integer(i.version)]
        case .agreement(let a):
            let interactions: Value = switch a.interactions {
            case .any: .text("any")
            case .only(let ids): list(ids)
            }
            return [.text(a.id.rawValue), .text(a.description), .text(a.consumer.description), .text(a.provider.description),
                    interactions, .text(a.status.rawValue), .integer(a.version)]
        }
    }

    /// Reads rows back into entries. Keeps one copy of each interaction URN, so a directory of
    /// 100,000 systems does not hold 100,000 copies of the same strings.
    public struct Decoder {
        private var interned: [Substring: InteractionID] = [:]

        public init() {}

        /// Builds an entry of `kind` from a row; `text(i)` and `integer(i)` read column `i`.
        public mutating func entry(
            _ kind: EntityKind, text: (Int) -> String?, integer: (Int) -> Int
        ) throws -> DirectoryEntry {
            func required(_ index: Int) throws -> String {
                guard let value = text(index) else {
                    throw DirectoryStoreError.corruptRow(table: table(for: kind).name, key: text(0) ?? "?", reason: "\(table(for: kind).columns[index]) is null")
                }
                return value
            }
            func status(_ index: Int) throws -> RecordStatus {
                guard let value = RecordStatus(rawValue: try required(index)) else {
                    throw DirectoryStoreError.corruptRow(table: table(for: kind).name, key: text(0) ?? "?", reason: "bad status")
                }
                return value
            }
            switch kind {
            case .organisation:
                guard let organisationKind = Organisation.Kind(rawValue: try required(2)) else {
                    throw DirectoryStoreError.corruptRow(table: "organisation", key: text(0) ?? "?", reason: "bad kind")
                }
                return .organisation(Organisation(ods: ODSCode(trusted: try required(0)), name: try required(1), kind: organisationKind,
                                                  status: try status(3), version: integer(4)))
            case .system:
                var system = AccreditedSystem(
                    asid: ASID(trusted: try required(0)), ods: ODSCode(trusted: try required(1)), partyKey: PartyKey(trusted: try required(2)),
                    name: try required(3), supplier: text(4).map(ODSCode.init(trusted:)), certificateFQDN: text(5),
                    status: try status(8), version: integer(9))
                system.sends = list(try required(6))
                system.receives = list(try required(7))
                return .system(system)
            case .endpoint:
                let address: EndpointAddress
                let addressText = try required(3)
                do { address = try EndpointAddress(validating: addressText) } catch {
                    throw DirectoryStoreError.corruptRow(table: "endpoint", key: text(0) ?? "?", reason: "address \(error.message)")
                }
                var endpoint = Endpoint(cpaID: CPAID(trusted: try required(0)), partyKey: PartyKey(trusted: try required(1)),
                                        ods: ODSCode(trusted: try required(2)), address: address, fqdn: try required(4),
                                        interactions: [], status: try status(6), version: integer(7))
                endpoint.interactions = list(try required(5))
                return .endpoint(endpoint)
            case .interaction:
                guard let method = HTTPMethodName(rawValue: try required(2)), let path = try? PathPattern(validating: try required(3)) else {
                    throw DirectoryStoreError.corruptRow(table: "interaction", key: text(0) ?? "?", reason: "bad method or path")
                }
                return .interaction(Interaction(id: intern(try required(0)), name: try required(1), method: method, path: path,
                                                scope: try required(4), status: try status(5), version: integer(6)))
            case .agreement:
                guard let consumer = try? PartySelector(parsing: try required(2)), let provider = try? PartySelector(parsing: try required(3)) else {
                    throw DirectoryStoreError.corruptRow(table: "sharing_agreement", key: text(0) ?? "?", reason: "bad selector")
                }
                let interactionsText = try required(4)
                return .agreement(SharingAgreement(
                    id: AgreementID(trusted: try required(0)), description: try required(1), consumer: consumer, provider: provider,
                    interactions: interactionsText == "any" ? .any : .only(list(interactionsText)),
                    status: try status(5), version: integer(6)))
            }
        }

        private mutating func intern(_ text: Substring) -> InteractionID {
            if let known = interned[text] { return known }
            let id = InteractionID(trusted: String(text))
            interned[Substring(id.rawValue)] = id
            return id
        }

        private mutating func intern(_ text: String) -> InteractionID { intern(Substring(text)) }

        /// Stored lists are written sorted and de-duplicated, so they are read back as they are.
        /// Split on bytes and looked up without copying: a 100,000-system load reads 3 million.
        private mutating func list(_ text: String) -> [InteractionID] {
            let bytes = text.utf8
            guard !bytes.isEmpty else { return [] }
            var result: [InteractionID] = []
            result.reserveCapacity(16)
            var start = bytes.startIndex
            var index = start
            while index != bytes.endIndex {
                if bytes[index] == UInt8(ascii: " ") {
                    if index != start { result.append(intern(Substring(bytes[start..<index]))) }
                    start = bytes.index(after: index)
                }
                index = bytes.index(after: index)
            }
            if start != bytes.endIndex { result.append(intern(Substring(bytes[start...]))) }
            return result
        }
    }
}
