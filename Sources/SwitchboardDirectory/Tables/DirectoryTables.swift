public import SwitchboardCore

/// The whole routing directory as plain values: what the files describe, the store holds and a
/// snapshot indexes. Keyed by each entry's identifier.
public struct DirectoryTables: Hashable, Sendable {
    public var organisations: [ODSCode: Organisation] = [:]
    public var systems: [ASID: AccreditedSystem] = [:]
    public var endpoints: [CPAID: Endpoint] = [:]
    public var interactions: [InteractionID: Interaction] = [:]
    public var agreements: [AgreementID: SharingAgreement] = [:]

    public init() {}

    public init(entries: some Sequence<DirectoryEntry>) {
        for entry in entries { put(entry) }
    }

    public var count: Int {
        organisations.count + systems.count + endpoints.count + interactions.count + agreements.count
    }

    /// Every entry, in a stable order (kind, then key).
    public var entries: [DirectoryEntry] {
        var result: [DirectoryEntry] = []
        result.reserveCapacity(count)
        result += organisations.keys.sorted().map { .organisation(organisations[$0]!) }
        result += systems.keys.sorted().map { .system(systems[$0]!) }
        result += endpoints.keys.sorted().map { .endpoint(endpoints[$0]!) }
        result += interactions.keys.sorted().map { .interaction(interactions[$0]!) }
        result += agreements.keys.sorted().map { .agreement(agreements[$0]!) }
        return result
    }

    public subscript(ref: EntityRef) -> DirectoryEntry? {
        switch ref.kind {
        case .organisation: organisations[ODSCode(trusted: ref.key)].map(DirectoryEntry.organisation)
        case .system: systems[ASID(trusted: ref.key)].map(DirectoryEntry.system)
        case .endpoint: endpoints[CPAID(trusted: ref.key)].map(DirectoryEntry.endpoint)
        case .interaction: interactions[InteractionID(trusted: ref.key)].map(DirectoryEntry.interaction)
        case .agreement: agreements[AgreementID(trusted: ref.key)].map(DirectoryEntry.agreement)
        }
    }

    /// Inserts or replaces the entry with the same key.
    public mutating func put(_ entry: DirectoryEntry) {
        switch entry {
        case .organisation(let value): organisations[value.ods] = value
        case .system(let value): systems[value.asid] = value
        case .endpoint(let value): endpoints[value.cpaID] = value
        case .interaction(let value): interactions[value.id] = value
        case .agreement(let value): agreements[value.id] = value
        }
    }

    public mutating func remove(_ ref: EntityRef) {
        switch ref.kind {
        case .organisation: organisations[ODSCode(trusted: ref.key)] = nil
        case .system: systems[ASID(trusted: ref.key)] = nil
        case .endpoint: endpoints[CPAID(trusted: ref.key)] = nil
        case .interaction: interactions[InteractionID(trusted: ref.key)] = nil
        case .agreement: agreements[AgreementID(trusted: ref.key)] = nil
        }
    }

    /// The entry-level differences that turn `self` into `target`, ignoring versions.
    public func changes(to target: DirectoryTables) -> [EntryChange] {
        var result: [EntryChange] = []
        let mine = Dictionary(uniqueKeysWithValues: entries.map { ($0.ref, $0) })
        for entry in target.entries {
            if let old = mine[entry.ref] {
                if !old.hasSameContent(as: entry) {
                    let action: EntryChange.Action = old.status == .active && entry.status == .retired ? .retired : .updated
                    result.append(EntryChange(action: action, before: old, after: entry))
                }
            } else {
                result.append(EntryChange(action: .created, before: nil, after: entry))
            }
        }
        for (ref, old) in mine where target[ref] == nil {
            result.append(EntryChange(action: .removed, before: old, after: nil))
        }
        return result.sorted { $0.ref < $1.ref }
    }
}

/// One entry's change between two versions of the directory.
public struct EntryChange: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable, Codable {
        case created, updated, retired, removed
    }

    public var action: Action
    public var before: DirectoryEntry?
    public var after: DirectoryEntry?

    public init(action: Action, before: DirectoryEntry?, after: DirectoryEntry?) {
        self.action = action
        self.before = before
        self.after = after
    }

    public var ref: EntityRef { (after ?? before)!.ref }
}
