public import Foundation
import Synchronization
import SwitchboardCore
public import SwitchboardPKI
public import X509

/// A certificate as a revocation list names it: its issuer and serial number.
public struct IssuerAndSerialNumber: Sendable, Hashable {
    public var issuer: DistinguishedName
    /// The serial number's DER content bytes.
    public var serialNumber: ArraySlice<UInt8>

    public init(issuer: DistinguishedName, serialNumber: ArraySlice<UInt8>) {
        self.issuer = issuer
        self.serialNumber = serialNumber
    }

    public init(_ certificate: Certificate) {
        self.init(issuer: certificate.issuer, serialNumber: certificate.serialNumber.bytes)
    }
}

/// The revocation lists in force for both legs (consumer client certificates and provider server
/// certificates), one per issuing CA, and what they say of one certificate. Lists are put in
/// force by ``install(_:from:)`` after their signature has been checked; a list past its
/// `nextUpdate` is stale, and what a stale list means is the ``WhenStale`` policy.
public final class CertificateRevocation: Sendable {
    /// What happens to a certificate whose issuer's list is stale, or whose list has not been
    /// read yet.
    public enum WhenStale: String, Sendable, CaseIterable, Codable {
        /// It is refused (the default): revocation cannot be ruled out.
        case failClosed = "fail-closed"
        /// It is accepted; the stale list is logged and shown by `switchboard_crl_stale`.
        case failOpen = "fail-open"
    }

    /// Why a certificate is refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// Its issuer's list names it.
        case revoked(at: Date)
        /// Its status cannot be known under `fail-closed`: `reason` says which list is missing
        /// or stale.
        case unknown(reason: String)
    }

    private struct List {
        var source: String
        var thisUpdate: Date
        var nextUpdate: Date?
        var revoked: [ArraySlice<UInt8>: Date]
    }

    private struct State {
        var whenStale: WhenStale = .failClosed
        var lists: [DistinguishedName: List] = [:]
        /// Configured sources that have never been read: until they are, any issuer may be theirs.
        var unread: Set<String> = []
    }

    private let state = Mutex(State())
    /// Whether any source is configured: without one, checks cost one atomic load.
    private let enabled = Atomic<Bool>(false)

    public init() {}

    /// Puts a new set of sources and policy in force (at start and on reload). Lists of sources
    /// still named stay in force until read again; lists of sources no longer named go.
    public func configure(sources: [String], whenStale: WhenStale) {
        state.withLock { state in
            state.whenStale = whenStale
            state.lists = state.lists.filter { sources.contains($0.value.source) }
            state.unread = Set(sources).subtracting(state.lists.values.map(\.source))
        }
        enabled.store(!sources.isEmpty, ordering: .releasing)
    }

    /// Puts `list`, read from `source` and already verified against its issuer, in force for
    /// that issuer. A list older than the one in force is refused (a replayed list must not
    /// bring a revoked certificate back).
    public func install(_ list: CertificateRevocationList, from source: String) throws(CertificateRevocationListError) {
        try state.withLock { state throws(CertificateRevocationListError) in
            if let current = state.lists[list.issuer], current.thisUpdate > list.thisUpdate {
                throw CertificateRevocationListError(
                    reason: "it was made at \(Timestamp.rfc3339(list.thisUpdate)), before the list in force (\(Timestamp.rfc3339(current.thisUpdate)))")
            }
            state.lists[list.issuer] = List(source: source, thisUpdate: list.thisUpdate, nextUpdate: list.nextUpdate,
                                            revoked: list.revokedSerialNumbers)
            state.unread.remove(source)
        }
    }

    /// Nil when `certificate` may be used at `now`; otherwise why not. Without a configured
    /// list this is one atomic load (`now` is not even read).
    public func check(_ certificate: IssuerAndSerialNumber, at now: @autoclosure () -> Date) -> Refusal? {
        guard enabled.load(ordering: .acquiring) else { return nil }
        return state.withLock { state -> Refusal? in
            guard let list = state.lists[certificate.issuer] else {
                guard !state.unread.isEmpty, state.whenStale == .failClosed else { return nil }
                return .unknown(reason: "the revocation list \(state.unread.sorted().joined(separator: ", ")) has not been read")
            }
            if let date = list.revoked[certificate.serialNumber] { return .revoked(at: date) }
            if let next = list.nextUpdate, next < now(), state.whenStale == .failClosed {
                return .unknown(reason: "the revocation list \(list.source) is past its nextUpdate \(Timestamp.rfc3339(next))")
            }
            return nil
        }
    }
}
