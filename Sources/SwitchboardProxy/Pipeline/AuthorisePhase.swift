import SwitchboardAudit
import SwitchboardCore
import NIOHTTP1
import SwitchboardDirectory

/// Authorise, in the SSP's order: the sender may send the interaction; the receiver is known and
/// receives it (an endpoint is registered for its party key and the interaction); a sharing
/// agreement allows it (when enforced).
public struct AuthorisePhase: Sendable {
    public var enforceSharingAgreements: Bool

    public init(enforceSharingAgreements: Bool = true) {
        self.enforceSharingAgreements = enforceSharingAgreements
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let headers = context.headers, let slot = context.slot else {
            preconditionFailure("authorise runs after validate")
        }
        let snapshot = context.snapshot
        guard let sender = context.sender ?? snapshot.routableSystem(headers.from), sender.sends(slot) else {
            throw .asidCheckFailed(from: headers.from)
        }
        context.sender = sender
        context.record.fromODS = sender.system.ods
        guard let receiver = snapshot.routableSystem(headers.to) else { throw .unknownReceiver(headers.to) }
        context.receiver = receiver
        context.record.toODS = receiver.system.ods
        guard receiver.receives(slot), let endpoint = snapshot.endpoint(partyKey: receiver.system.partyKey, slot: slot) else {
            throw .receiverCheckFailed(headers.to)
        }
        if enforceSharingAgreements && !snapshot.sharingAllows(from: sender, to: receiver, slot: slot) {
            throw .sharingCheckFailed(from: headers.from, to: headers.to)
        }
        context.endpoint = endpoint
    }
}
