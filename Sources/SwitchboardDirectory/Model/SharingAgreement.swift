public import SwitchboardCore

/// A data-sharing agreement: which consumers may send which interactions to which providers
/// (the SSP's "FOT" check).
public struct SharingAgreement: Hashable, Sendable, Codable {
    /// A short stable name, e.g. `secamb-111-to-all-practices`.
    public var id: AgreementID
    public var description: String
    public var consumer: PartySelector
    public var provider: PartySelector
    public var interactions: InteractionSelector
    public var status: RecordStatus
    public var version: Int

    public init(
        id: AgreementID, description: String, consumer: PartySelector, provider: PartySelector,
        interactions: InteractionSelector, status: RecordStatus = .active, version: Int = 0
    ) {
        self.id = id
        self.description = description
        self.consumer = consumer
        self.provider = provider
        self.interactions = interactions
        self.status = status
        self.version = version
    }
}

/// The name of a sharing agreement: lower-case letters, digits and hyphens.
public struct AgreementID: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "agreement id"

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard text.utf8.count <= 64 else { return "is longer than 64 characters" }
        let ok = text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
        return ok ? nil : "may contain only lower-case letters, digits and '-'"
    }
}

/// One side of a sharing agreement: a system by ASID, every system of an organisation, or anyone.
/// Written `asid:<ASID>`, `ods:<ODS code>` or `any`.
public enum PartySelector: Hashable, Sendable, Codable, CustomStringConvertible {
    case any
    case asid(ASID)
    case ods(ODSCode)

    public init(parsing text: String) throws(IdentifierError) {
        if text == "any" {
            self = .any
        } else if text.hasPrefix("asid:") {
            self = .asid(try ASID(validating: text.dropFirst(5)))
        } else if text.hasPrefix("ods:") {
            self = .ods(try ODSCode(validating: text.dropFirst(4)))
        } else {
            throw IdentifierError(kind: "party selector", text: text, reason: "must be 'any', 'asid:<ASID>' or 'ods:<ODS code>'")
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .asid(let asid): "asid:\(asid)"
        case .ods(let ods): "ods:\(ods)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { try self.init(parsing: try container.decode(String.self)) } catch let error as IdentifierError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The interactions a sharing agreement covers: all of them, or a listed set.
public enum InteractionSelector: Hashable, Sendable, Codable {
    case any
    case only([InteractionID])

    public static func listed(_ ids: some Sequence<InteractionID>) -> InteractionSelector {
        .only(Array(Set(ids)).sorted())
    }

    public func contains(_ id: InteractionID) -> Bool {
        switch self {
        case .any: true
        case .only(let ids): ids.contains(id)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), text == "any" {
            self = .any
        } else {
            self = .listed(try container.decode([InteractionID].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .any: try container.encode("any")
        case .only(let ids): try container.encode(ids)
        }
    }
}
