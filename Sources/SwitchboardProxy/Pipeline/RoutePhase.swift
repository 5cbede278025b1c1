import Foundation
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardCore
import SwitchboardDirectory

/// Route: the target URL lies under the endpoint registered for the receiver and interaction,
/// and the JWT's `aud` names that endpoint; the FHIR request below it names the resource for the
/// record; in strict mode, the method and FHIR path fit the interaction.
public struct RoutePhase: Sendable {
    public var strictInteractionMatch: Bool

    public init(strictInteractionMatch: Bool = true) {
        self.strictInteractionMatch = strictInteractionMatch
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let endpoint = context.endpoint, let target = context.target, let interaction = context.interaction else {
            preconditionFailure("route runs after authorise")
        }
        guard case .underEndpoint(_, let request) = DirectorySnapshot.match(target.url[...], against: endpoint) else {
            throw .endpointVaries(registered: endpoint.address.rawValue, cpaID: endpoint.cpaID, target: target.url)
        }
        context.fhirRequest = request
        guard context.audience == endpoint.address.rawValue else { throw .invalidJWT(.audience) }
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
