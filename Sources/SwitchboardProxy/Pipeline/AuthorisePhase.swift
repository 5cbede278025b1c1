import SwitchboardAudit
import SwitchboardCore
import NIOHTTP1
import SwitchboardDirectory

/// Authorise, in the SSP's order: the sender may send the interaction; the receiver is known and
/// receives it; a sharing agreement allows it (when enforced); the target URL lies under the
/// endpoint registered for the receiver and interaction (and the JWT's `aud` names it); in strict
/// mode, the method and FHIR path fit the interaction.
public struct AuthorisePhase: Sendable {
    public var enforceSharingAgreements: Bool
    public var strictInteractionMatch: Bool

    public init(enforceSharingAgreements: Bool = true, strictInteractionMatch: Bool = true) {
        self.enforceSharingAgreements = enforceSharingAgreements
        self.strictInteractionMatch = strictInteractionMatch
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let headers = context.headers, let slot = context.slot, let target = context.target else {
            preconditionFailure("authorise runs after validate")
        }
        let interaction = slot.interaction
        let snapshot = context.snapshot
        guard let sender = context.sender ?? snapshot.routableSystem(headers.from), sender.sends(slot) else {
            throw .asidCheckFailed(from: headers.from)
        }
        context.sender = sender
        context.record.fromODS = sender.system.ods.rawValue
        guard let receiver = snapshot.routableSystem(headers.to) else { throw .unknownReceiver(headers.to) }
        context.receiver = receiver
        context.record.toODS = receiver.system.ods.rawValue
        guard receiver.receives(slot), let endpoint = snapshot.endpoint(partyKey: receiver.system.partyKey, slot: slot) else {
            throw .receiverCheckFailed(headers.to)
        }
        if enforceSharingAgreements && !snapshot.sharingAllows(from: sender, to: receiver, slot: slot) {
            throw .sharingCheckFailed(from: headers.from, to: headers.to)
        }
        context.endpoint = endpoint
        guard case .underEndpoint(_, let request) = DirectorySnapshot.match(target.url[...], against: endpoint) else {
            throw .endpointVaries(registered: endpoint.address.rawValue, cpaID: endpoint.cpaID, target: target.url)
        }
        context.fhirRequest = request
        guard context.audience == endpoint.address.rawValue else { throw .invalidJWT("AUD") }
        let path = request.prefix { $0 != "?" }
        (context.record.resourceType, context.record.resourceID) = Self.resource(addressedBy: path)
        if strictInteractionMatch {
            guard context.method == interaction.method, interaction.path.matches(path) else {
                throw .interactionMismatch(interaction.id)
            }
        }
    }

    /// The resource type and id a FHIR path addresses: `/Appointment/12` → (`Appointment`, `12`).
    static func resource(addressedBy path: Substring) -> (String?, String?) {
        let segments = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true)
        guard let type = segments.first, type.first?.isUppercase == true else { return (nil, nil) }
        let id = segments.count > 1 && PathPattern.isLogicalID(segments[1]) ? String(segments[1]) : nil
        return (String(type), id)
    }
}
