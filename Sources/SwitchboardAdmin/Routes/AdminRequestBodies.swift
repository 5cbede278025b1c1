import HTTPTypes
import SwitchboardDirectory
import Yams

/// What the admin API takes as the body for one kind of entry: each field's JSON name, shape and
/// documented length, in the order they are checked. `Docs/management-api.yaml` describes the
/// same fields.
struct EntryBodySchema: Sendable {
    enum Shape: Sendable {
        /// A non-empty string of at most this many characters.
        case text(maximum: Int)
        /// A list of at most ``FieldLength/interactions`` strings, each at most this long.
        case list(maximum: Int)
        /// `"any"`, or a list as ``list(maximum:)``.
        case listOrAny(maximum: Int)
    }

    struct Field: Sendable {
        var name: String
        var shape: Shape
        var required: Bool
    }

    var kind: EntityKind
    /// The field that holds the entry's key.
    var keyField: String
    var fields: [Field]

    static func required(_ name: String, _ shape: Shape) -> Field { Field(name: name, shape: shape, required: true) }
    static func optional(_ name: String, _ shape: Shape) -> Field { Field(name: name, shape: shape, required: false) }

    static func of(_ kind: EntityKind) -> EntryBodySchema {
        let status = optional("status", .text(maximum: FieldLength.choice))
        switch kind {
        case .organisation:
            return EntryBodySchema(kind: kind, keyField: "ods", fields: [
                required("ods", .text(maximum: FieldLength.code)), required("name", .text(maximum: FieldLength.name)),
                required("kind", .text(maximum: FieldLength.choice)), status,
            ])
        case .system:
            return EntryBodySchema(kind: kind, keyField: "asid", fields: [
                required("asid", .text(maximum: FieldLength.asid)), required("ods", .text(maximum: FieldLength.code)),
                required("name", .text(maximum: FieldLength.name)), required("partyKey", .text(maximum: FieldLength.partyKey)),
                optional("supplier", .text(maximum: FieldLength.code)), optional("certificateFQDN", .text(maximum: FieldLength.fqdn)),
                optional("sends", .list(maximum: FieldLength.interaction)), optional("receives", .list(maximum: FieldLength.interaction)), status,
            ])
        case .endpoint:
            return EntryBodySchema(kind: kind, keyField: "cpaId", fields: [
                required("cpaId", .text(maximum: FieldLength.cpaID)), required("ods", .text(maximum: FieldLength.code)),
                required("partyKey", .text(maximum: FieldLength.partyKey)), required("address", .text(maximum: FieldLength.address)),
                optional("fqdn", .text(maximum: FieldLength.fqdn)), required("interactions", .list(maximum: FieldLength.interaction)), status,
            ])
        case .interaction:
            return EntryBodySchema(kind: kind, keyField: "id", fields: [
                required("id", .text(maximum: FieldLength.interaction)), required("name", .text(maximum: FieldLength.name)),
                required("method", .text(maximum: FieldLength.method)), required("path", .text(maximum: FieldLength.path)),
                required("scope", .text(maximum: FieldLength.scope)), status,
            ])
        case .agreement:
            return EntryBodySchema(kind: kind, keyField: "id", fields: [
                required("id", .text(maximum: FieldLength.agreementID)), optional("description", .text(maximum: FieldLength.description)),
                required("consumer", .text(maximum: FieldLength.selector)), required("provider", .text(maximum: FieldLength.selector)),
                required("interactions", .listOrAny(maximum: FieldLength.interaction)), status,
            ])
        }
    }
}

/// Documented maximum lengths of the fields, in characters.
enum FieldLength {
    static let name = 200
    static let description = 500
    static let code = 10
    static let asid = 12
    static let partyKey = 32
    static let cpaID = 64
    static let fqdn = 253
    static let address = 2048
    static let interaction = 200
    static let method = 16
    static let path = 256
    static let scope = 64
    static let agreementID = 64
    static let selector = 64
    static let choice = 32
    /// Interactions in one list.
    static let interactions = 100
}

/// A body read strictly against its kind's ``EntryBodySchema`` (see ``JSONBody``): each field of
/// its JSON type and documented length, no unknown field, no `null`; an optional `version`
/// (a whole number, as a GET answers it) is allowed and ignored. A body of the right shape is
/// then read as a directory entry by the same ``EntryReader`` as the RoutingTables files, so a
/// rule it breaks (a malformed ASID, an unknown ODS code) has the same message in both,
/// answered `422`.
struct EntryBody: Decodable, Sendable {
    /// Where ``init(from:)`` finds the schema when the body is a request's whole body.
    static let schemaKey = CodingUserInfoKey(rawValue: "switchboard.entryBodySchema")!

    var kind: EntityKind
    /// The key the body names (its ODS code, ASID, CPA id, URN or agreement id).
    var key: String
    /// A field's value as the body gave it.
    enum Value: Sendable, Equatable {
        case text(String)
        case list([String])
    }

    /// The fields present, in the schema's order.
    var fields: [(name: String, value: Value)]

    init(from decoder: any Decoder) throws {
        guard let schema = decoder.userInfo[Self.schemaKey] as? EntryBodySchema else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no entry kind to read the body as"))
        }
        try self.init(schema, from: decoder)
    }

    init(_ schema: EntryBodySchema, from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(schema.fields.map(\.name) + ["version"])
        for member in container.allKeys where !known.contains(member.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [member], debugDescription: "is not a field of this entry (unknown field)"))
        }
        kind = schema.kind
        fields = []
        for field in schema.fields {
            let name = AnyCodingKey(stringValue: field.name)
            let value: Value?
            switch field.shape {
            case .text(let maximum):
                value = try (field.required ? container.text(name, maximum: maximum) : container.optionalText(name, maximum: maximum)).map(Value.text)
            case .list(let maximum):
                value = try container.optionalList(name, maximum: maximum, count: FieldLength.interactions).map(Value.list)
            case .listOrAny(let maximum):
                if let word = try? container.decode(String.self, forKey: name) {
                    guard word == "any" else {
                        throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [name], debugDescription: "must be \"any\" or a list of interaction URNs"))
                    }
                    value = .text(word)
                } else {
                    value = try container.optionalList(name, maximum: maximum, count: FieldLength.interactions).map(Value.list)
                }
            }
            if let value {
                fields.append((field.name, value))
            } else if field.required {
                throw DecodingError.keyNotFound(name, .init(codingPath: container.codingPath, debugDescription: "required"))
            }
        }
        _ = try container.optionalInteger(AnyCodingKey(stringValue: "version"), minimum: 0)
        key = fields.first { $0.name == schema.keyField }.flatMap { if case .text(let key) = $0.value { key } else { nil } } ?? ""
    }

    /// The fields as a mapping ``EntryReader`` reads, each string a YAML string scalar (`"false"`
    /// stays text, not a boolean).
    private var mapping: Node {
        func text(_ value: String) -> Node { Node(value, Tag(.str), .doubleQuoted) }
        return .mapping(Node.Mapping(fields.map { field in
            switch field.value {
            case .text(let value): (Node(field.name), text(value))
            case .list(let values): (Node(field.name), .sequence(Node.Sequence(values.map(text))))
            }
        }))
    }

    /// Reads the body as a directory entry; `422` with every rule it breaks.
    func entry() throws(ManagementError) -> DirectoryEntry {
        let result = EntryReader.read(kind, mapping, file: "body", acceptVersion: true)
        guard let entry = result.entry, result.issues.isEmpty else {
            throw ManagementError(status: .unprocessableContent, code: "invalid-entry",
                                  message: "the \(kind.displayName) breaks \(result.issues.count) rule(s); nothing was changed",
                                  issues: result.issues.map(AdminRoutes.issue))
        }
        return entry
    }
}

/// `POST /admin/batch`: `{"changes": [...], "reason": "…"}`, each change
/// `{"op": "create"|"update"|"retire", "kind": …, "entry": {…}, "key": …, "expectedVersion": n}`.
struct BatchBody: Decodable, Sendable {
    struct Change: Decodable, Sendable {
        var op: String
        var kind: EntityKind
        var entry: EntryBody?
        var key: String?
        var expectedVersion: Int?

        enum CodingKeys: String, CodingKey { case op, kind, entry, key, expectedVersion }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.strictContainer(keyedBy: CodingKeys.self)
            op = try fields.text(.op, maximum: FieldLength.choice)
            guard ["create", "update", "retire"].contains(op) else {
                throw DecodingError.dataCorrupted(.init(codingPath: fields.codingPath + [CodingKeys.op], debugDescription: "must be create, update or retire"))
            }
            let kindText = try fields.text(.kind, maximum: FieldLength.choice)
            guard let kind = EntityKind(rawValue: kindText) else {
                throw DecodingError.dataCorrupted(.init(codingPath: fields.codingPath + [CodingKeys.kind],
                                                        debugDescription: "must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            self.kind = kind
            expectedVersion = try fields.optionalInteger(.expectedVersion, minimum: 0)
            if op == "retire" {
                key = try fields.text(.key, maximum: FieldLength.address)
                guard !fields.contains(.entry) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: fields.codingPath + [CodingKeys.entry], debugDescription: "a retire names its entry by key only"))
                }
            } else {
                key = try fields.optionalText(.key, maximum: FieldLength.address)
                guard fields.contains(.entry) else {
                    throw DecodingError.keyNotFound(CodingKeys.entry, .init(codingPath: fields.codingPath, debugDescription: "required"))
                }
                if try fields.decodeNil(forKey: .entry) {
                    throw DecodingError.valueNotFound(EntryBody.self, .init(codingPath: fields.codingPath + [CodingKeys.entry], debugDescription: "null"))
                }
                entry = try EntryBody(.of(kind), from: try fields.superDecoder(forKey: .entry))
            }
        }
    }

    var changes: [Change]
    var reason: String?

    /// Changes in one batch, at most.
    static let maximumChanges = 1000

    enum CodingKeys: String, CodingKey { case changes, reason }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.strictContainer(keyedBy: CodingKeys.self)
        changes = try fields.decode([Change].self, forKey: .changes)
        guard changes.count <= Self.maximumChanges else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.changes], debugDescription: "has more than \(Self.maximumChanges) changes"))
        }
        reason = try fields.optionalText(.reason, maximum: AdminHeaders.maximumReasonLength)
    }
}
