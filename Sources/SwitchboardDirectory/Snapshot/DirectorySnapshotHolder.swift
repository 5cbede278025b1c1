import Atomics

/// Holds the current ``DirectorySnapshot`` and swaps it atomically; readers never wait on a writer.
public final class DirectorySnapshotHolder: Sendable {
    private let current: ManagedAtomic<DirectorySnapshot>

    public init(_ snapshot: DirectorySnapshot = .empty) {
        current = ManagedAtomic(snapshot)
    }

    /// The snapshot in force now. Hold on to it for the whole of one exchange.
    public var snapshot: DirectorySnapshot { current.load(ordering: .acquiring) }

    /// Installs `snapshot` unless a newer generation is already installed; returns whether it was.
    @discardableResult
    public func install(_ snapshot: DirectorySnapshot) -> Bool {
        var installed = current.load(ordering: .acquiring)
        while installed.generation <= snapshot.generation {
            let (exchanged, original) = current.compareExchange(expected: installed, desired: snapshot, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            installed = original
        }
        return false
    }
}
