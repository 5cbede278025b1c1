import SwitchboardCore

/// The five kinds of thing the directory holds.
public enum EntityKind: String, CaseIterable, Hashable, Sendable, Codable, Comparable {
    case organisation
    case system
    case endpoint
    case interaction
    case agreement

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// How messages name an entry of this kind, e.g. "accredited system".
    public var displayName: String {
        switch self {
        case .organisation: "organisation"
        case .system: "accredited system"
        case .endpoint: "endpoint"
        case .interaction: "interaction"
        case .agreement: "sharing agreement"
        }
    }
}

/// Names one directory entry: its kind and its key (ODS code, ASID, CPA id, URN or agreement id).
public struct EntityRef: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var kind: EntityKind
    public var key: String

    public init(_ kind: EntityKind, _ key: String) {
        self.kind = kind
        self.key = key
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.kind, lhs.key) < (rhs.kind, rhs.key) }

    public var description: String { "\(kind.displayName) \(key)" }
}

/// Any one directory entry.
public enum DirectoryEntry: Hashable, Sendable {
    case organisation(Organisation)
    case system(AccreditedSystem)
    case endpoint(Endpoint)
    case interaction(Interaction)
    case agreement(SharingAgreement)

    public var ref: EntityRef {
        switch self {
        case .organisation(let value): EntityRef(.organisation, value.ods.rawValue)
        case .system(let value): EntityRef(.system, value.asid.rawValue)
        case .endpoint(let value): EntityRef(.endpoint, value.cpaID.rawValue)
        case .interaction(let value): EntityRef(.interaction, value.id.rawValue)
        case .agreement(let value): EntityRef(.agreement, value.id.rawValue)
        }
    }

    public var status: RecordStatus {
        get {
            switch self {
            case .organisation(let value): value.status
            case .system(let value): value.status
            case .endpoint(let value): value.status
            case .interaction(let value): value.status
            case .agreement(let value): value.status
            }
        }
        set {
            switch self {
            case .organisation(var value): value.status = newValue; self = .organisation(value)
            case .system(var value): value.status = newValue; self = .system(value)
            case .endpoint(var value): value.status = newValue; self = .endpoint(value)
            case .interaction(var value): value.status = newValue; self = .interaction(value)
            case .agreement(var value): value.status = newValue; self = .agreement(value)
            }
        }
    }

    public var version: Int {
        get {
            switch self {
            case .organisation(let value): value.version
            case .system(let value): value.version
            case .endpoint(let value): value.version
            case .interaction(let value): value.version
            case .agreement(let value): value.version
            }
        }
        set {
            switch self {
            case .organisation(var value): value.version = newValue; self = .organisation(value)
            case .system(var value): value.version = newValue; self = .system(value)
            case .endpoint(var value): value.version = newValue; self = .endpoint(value)
            case .interaction(var value): value.version = newValue; self = .interaction(value)
            case .agreement(var value): value.version = newValue; self = .agreement(value)
            }
        }
    }

    /// Whether two entries say the same thing, whatever their versions.
    public func hasSameContent(as other: DirectoryEntry) -> Bool {
        var lhs = self, rhs = other
        lhs.version = 0
        rhs.version = 0
        return lhs == rhs
    }
}
