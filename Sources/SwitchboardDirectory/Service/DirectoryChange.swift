/// One change an administrator asks for. A batch of them is applied all-or-nothing.
public enum DirectoryChange: Hashable, Sendable {
    /// Adds an entry; refused if one with the same key exists.
    case create(DirectoryEntry)
    /// Replaces an existing entry's fields; refused if it does not exist or, when
    /// `expectedVersion` is given, if it has changed since.
    case update(DirectoryEntry, expectedVersion: Int? = nil)
    /// Marks an entry retired; refused if it does not exist or has changed since `expectedVersion`.
    case retire(EntityRef, expectedVersion: Int? = nil)

    public var ref: EntityRef {
        switch self {
        case .create(let entry), .update(let entry, _): entry.ref
        case .retire(let ref, _): ref
        }
    }
}

/// Why a change could not be applied to the entries as they stand.
public enum DirectoryChangeError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(EntityRef)
    case alreadyExists(EntityRef)
    case versionConflict(EntityRef, expected: Int, current: Int)
    case invalid(DirectoryValidationError)
    case retriesExhausted

    public var description: String {
        switch self {
        case .notFound(let ref): "\(ref) does not exist"
        case .alreadyExists(let ref): "\(ref) already exists"
        case .versionConflict(let ref, let expected, let current):
            "\(ref) is at version \(current), not \(expected): it was changed by someone else; reload and try again"
        case .invalid(let error): error.description
        case .retriesExhausted: "the directory kept changing under this change; try again"
        }
    }
}

/// What an applied batch did.
public struct AppliedChanges: Hashable, Sendable {
    public var generation: Int64
    public var changes: [EntryChange]
}
