/// Where the management listener records its calls: every admin and audit API call, allowed or
/// refused, goes into the same hash chain as the exchanges, as a row of kind `management`.
///
/// The record says who called (`certificateSubject`: `token:<name>` or `cert:<fqdn>`; the role
/// in `requestingParty.userRoleProfileID`), from where, what (`method`, `targetURL`, the body's
/// SHA-256), and how it ended (`status`; for a refusal the phase and rule). What a change did to
/// the routing tables is in the directory history, under the same caller and generation.
public protocol ManagementActionRecorder: Sendable {
    /// Whether the store is taking records now. Changes are refused while it is not.
    var isAcceptingRecords: Bool { get }

    /// Records one call; returns once the record is durable.
    func recordManagementAction(_ record: ExchangeRecord) async throws

    /// Keeps a record the store could not take, to write once it recovers.
    func deferManagementAction(_ record: ExchangeRecord)
}
