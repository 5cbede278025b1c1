/// The routing directory of one Switchboard process: a store, the snapshot the request path reads,
/// and the one way to change both (validated, all-or-nothing, recorded in history).
///
/// Changes are optimistic: a batch is applied to the current snapshot's tables, validated as a
/// whole and committed only if the store has not moved on; otherwise it is re-applied to the
/// fresh state. This keeps several processes (CLI, API, other nodes) consistent without a lock.
public final class Directory: Sendable {
    public let store: any DirectoryStore
    public let validator: DirectoryValidator
    public let holder: DirectorySnapshotHolder

    /// Opens the directory and loads its first snapshot from `store`.
    public init(store: any DirectoryStore, validator: DirectoryValidator = DirectoryValidator()) async throws {
        self.store = store
        self.validator = validator
        let stored = try await store.load()
        holder = DirectorySnapshotHolder(DirectorySnapshot(tables: stored.tables, generation: stored.generation))
    }

    /// The snapshot in force now.
    public var snapshot: DirectorySnapshot { holder.snapshot }

    /// Applies `changes` as one batch.
    ///
    /// - Throws: ``DirectoryChangeError`` naming the first change that cannot apply, or every
    ///   rule the result would break.
    @discardableResult
    public func apply(_ changes: [DirectoryChange], author: ChangeAuthor) async throws -> AppliedChanges {
        try await commit(author: author) { current in try Self.applying(changes, to: current) }
    }

    /// What `changes` would do to the directory as it stands, without doing it (a dry run).
    ///
    /// - Throws: as ``apply(_:author:)`` would.
    public func preview(_ changes: [DirectoryChange]) throws -> [EntryChange] {
        let base = holder.snapshot.tables
        let target = try Self.applying(changes, to: base)
        let issues = validator.validate(target)
        guard issues.isEmpty else { throw DirectoryChangeError.invalid(DirectoryValidationError(issues: issues)) }
        return base.changes(to: target)
    }

    static func applying(_ changes: [DirectoryChange], to current: DirectoryTables) throws -> DirectoryTables {
        var tables = current
        for change in changes {
            switch change {
            case .create(let entry):
                guard tables[entry.ref] == nil else { throw DirectoryChangeError.alreadyExists(entry.ref) }
                tables.put(entry)
            case .update(let entry, let expected):
                guard let existing = tables[entry.ref] else { throw DirectoryChangeError.notFound(entry.ref) }
                if let expected, expected != existing.version {
                    throw DirectoryChangeError.versionConflict(entry.ref, expected: expected, current: existing.version)
                }
                tables.put(entry)
            case .retire(let ref, let expected):
                guard var existing = tables[ref] else { throw DirectoryChangeError.notFound(ref) }
                if let expected, expected != existing.version {
                    throw DirectoryChangeError.versionConflict(ref, expected: expected, current: existing.version)
                }
                existing.status = .retired
                tables.put(existing)
            }
        }
        return tables
    }

    /// Makes the directory equal to `target` (an import of RoutingTables/): entries missing from
    /// `target` are removed, others created or updated. All-or-nothing.
    @discardableResult
    public func replaceAll(with target: DirectoryTables, author: ChangeAuthor) async throws -> AppliedChanges {
        try await commit(author: author) { _ in target }
    }

    /// Merges `entries` into the directory (an LDIF import): each is created or replaced, nothing
    /// else is touched. All-or-nothing.
    @discardableResult
    public func merge(_ entries: [DirectoryEntry], author: ChangeAuthor) async throws -> AppliedChanges {
        try await commit(author: author) { current in
            var tables = current
            for entry in entries { tables.put(entry) }
            return tables
        }
    }

    /// Loads the store again if another process changed it; returns whether the snapshot changed.
    @discardableResult
    public func refresh() async throws -> Bool {
        let generation = try await store.generation()
        guard generation != holder.snapshot.generation else { return false }
        let stored = try await store.load()
        return holder.install(DirectorySnapshot(tables: stored.tables, generation: stored.generation))
    }

    private func commit(
        author: ChangeAuthor, attempts: Int = 5, _ transform: (DirectoryTables) throws -> DirectoryTables
    ) async throws -> AppliedChanges {
        for _ in 0..<attempts {
            let base = holder.snapshot
            let target = try transform(base.tables)
            let issues = validator.validate(target)
            guard issues.isEmpty else { throw DirectoryChangeError.invalid(DirectoryValidationError(issues: issues)) }
            var changes = base.tables.changes(to: target)
            guard !changes.isEmpty else { return AppliedChanges(generation: base.generation, changes: []) }
            var next = base.tables
            for index in changes.indices {
                if changes[index].after != nil {
                    changes[index].after!.version = (changes[index].before?.version ?? 0) + 1
                    next.put(changes[index].after!)
                } else {
                    next.remove(changes[index].ref)
                }
            }
            do {
                let generation = try await store.commit(changes, expectedGeneration: base.generation, author: author)
                holder.install(DirectorySnapshot(tables: next, generation: generation))
                return AppliedChanges(generation: generation, changes: changes)
            } catch DirectoryStoreError.generationMoved {
                let stored = try await store.load()
                holder.install(DirectorySnapshot(tables: stored.tables, generation: stored.generation))
            }
        }
        throw DirectoryChangeError.retriesExhausted
    }
}
