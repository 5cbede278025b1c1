import Foundation
public import SwitchboardCore

/// Checks a whole ``DirectoryTables`` for the rules that span entries: references resolve, keys
/// are unique where routing needs them to be, and every route a provider offers has an endpoint.
///
/// The form of single values (an ASID's digits, an address's scheme) is checked where the value
/// is parsed; this validator also re-checks what the endpoint policy decides.
public struct DirectoryValidator: Sendable {
    public var endpointPolicy: EndpointAddressPolicy

    public init(endpointPolicy: EndpointAddressPolicy = EndpointAddressPolicy()) {
        self.endpointPolicy = endpointPolicy
    }

    /// Every rule `tables` breaks, in a stable order.
    public func validate(_ tables: DirectoryTables) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func report(_ ref: EntityRef, _ field: String?, _ rule: ValidationRule, _ message: String) {
            issues.append(ValidationIssue(entry: ref, field: field, rule: rule, message: message))
        }
        func checkInteraction(_ id: InteractionID, _ ref: EntityRef, _ field: String) {
            guard let interaction = tables.interactions[id] else {
                report(ref, field, .interactionNotInCatalogue, "\(id) is not in the interaction catalogue")
                return
            }
            if interaction.status == .retired {
                report(ref, field, .interactionRetired, "\(id) is retired in the interaction catalogue")
            }
        }
        func checkOrganisation(_ ods: ODSCode, _ ref: EntityRef, active: Bool) {
            guard let organisation = tables.organisations[ods] else {
                report(ref, "ods", .unknownODSCode, "ODS code \(ods) is not a known organisation")
                return
            }
            if active && organisation.status == .retired {
                report(ref, "ods", .organisationRetired, "organisation \(ods) is retired but this entry is active")
            }
        }

        for organisation in tables.organisations.values
        where organisation.name.isBlank {
            report(EntityRef(.organisation, organisation.ods.rawValue), "name", .emptyName, "name must not be empty")
        }

        for interaction in tables.interactions.values.sorted(by: { $0.id < $1.id }) {
            let ref = EntityRef(.interaction, interaction.id.rawValue)
            if interaction.name.isBlank {
                report(ref, "name", .emptyName, "name must not be empty")
            }
            if !Self.knownScopes.contains(interaction.scope) {
                report(ref, "scope", .malformedValue, "scope '\(interaction.scope)' must be one of \(Self.knownScopes.sorted().joined(separator: ", "))")
            }
        }

        var activeSystemsByPartyKey: [PartyKey: [AccreditedSystem]] = [:]
        for system in tables.systems.values.sorted(by: { $0.asid < $1.asid }) {
            let ref = EntityRef(.system, system.asid.rawValue)
            let active = system.status == .active
            checkOrganisation(system.ods, ref, active: active)
            if let supplier = system.supplier, tables.organisations[supplier] == nil {
                report(ref, "supplier", .unknownODSCode, "supplier ODS code \(supplier) is not a known organisation")
            }
            if system.name.isBlank {
                report(ref, "name", .emptyName, "name must not be empty")
            }
            for id in system.sends { checkInteraction(id, ref, "sends") }
            for id in system.receives { checkInteraction(id, ref, "receives") }
            if !system.sends.isEmpty {
                if let fqdn = system.certificateFQDN {
                    if let problem = Self.fqdnProblem(fqdn) { report(ref, "certificateFQDN", .malformedFQDN, problem) }
                } else {
                    report(ref, "certificateFQDN", .consumerFQDNMissing, "a system that sends interactions needs the FQDN its client certificate carries")
                }
            }
            if active { activeSystemsByPartyKey[system.partyKey, default: []].append(system) }
        }
        for (partyKey, systems) in activeSystemsByPartyKey where systems.count > 1 && systems.contains(where: { !$0.receives.isEmpty }) {
            for system in systems {
                report(EntityRef(.system, system.asid.rawValue), "partyKey", .duplicatePartyKey,
                       "party key \(partyKey) is shared by \(systems.map(\.asid.rawValue).sorted().joined(separator: ", ")); a provider's party key must be its own")
            }
        }

        var receivedByPartyKey: [PartyKey: Set<InteractionID>] = [:]
        for (partyKey, systems) in activeSystemsByPartyKey {
            receivedByPartyKey[partyKey] = Set(systems.flatMap(\.receives))
        }
        var routes: [RouteKey: CPAID] = [:]
        routes.reserveCapacity(tables.endpoints.count * 16)
        let allPartyKeys = Set(tables.systems.values.map(\.partyKey))
        for endpoint in tables.endpoints.values.sorted(by: { $0.cpaID < $1.cpaID }) {
            let ref = EntityRef(.endpoint, endpoint.cpaID.rawValue)
            let active = endpoint.status == .active
            checkOrganisation(endpoint.ods, ref, active: active)
            if !allPartyKeys.contains(endpoint.partyKey) {
                report(ref, "partyKey", .unknownPartyKey, "no accredited system has party key \(endpoint.partyKey)")
            }
            if let problem = endpointPolicy.problem(with: endpoint.address) {
                report(ref, "address", .endpointHostNotAllowed, "\(endpoint.address) \(problem)")
            }
            if let problem = Self.fqdnProblem(endpoint.fqdn) { report(ref, "fqdn", .malformedFQDN, problem) }
            if endpoint.interactions.isEmpty {
                report(ref, "interactions", .endpointWithoutInteractions, "an endpoint must serve at least one interaction")
            }
            for id in endpoint.interactions { checkInteraction(id, ref, "interactions") }
            guard active else { continue }
            let received = receivedByPartyKey[endpoint.partyKey]
            for id in endpoint.interactions {
                let key = RouteKey(partyKey: endpoint.partyKey, interaction: id)
                if let other = routes[key] {
                    report(ref, "interactions", .duplicateRoute, "endpoint \(other) already serves \(id) for party key \(endpoint.partyKey)")
                } else {
                    routes[key] = endpoint.cpaID
                }
                if let received, !received.contains(id) {
                    report(ref, "interactions", .endpointInteractionNotReceived,
                           "serves \(id) but no active system with party key \(endpoint.partyKey) lists it under receives")
                }
            }
        }
        for system in tables.systems.values.sorted(by: { $0.asid < $1.asid }) where system.status == .active {
            for id in system.receives where routes[RouteKey(partyKey: system.partyKey, interaction: id)] == nil {
                report(EntityRef(.system, system.asid.rawValue), "receives", .receivesWithoutEndpoint,
                       "receives \(id) but no active endpoint with party key \(system.partyKey) serves it")
            }
        }

        for agreement in tables.agreements.values.sorted(by: { $0.id < $1.id }) {
            let ref = EntityRef(.agreement, agreement.id.rawValue)
            for (field, selector) in [("consumer", agreement.consumer), ("provider", agreement.provider)] {
                switch selector {
                case .any: break
                case .asid(let asid) where tables.systems[asid] == nil:
                    report(ref, field, .unknownASID, "ASID \(asid) is not a known accredited system")
                case .ods(let ods) where tables.organisations[ods] == nil:
                    report(ref, field, .unknownODSCode, "ODS code \(ods) is not a known organisation")
                default: break
                }
            }
            if case .only(let ids) = agreement.interactions {
                if ids.isEmpty { report(ref, "interactions", .missingField, "list at least one interaction, or 'any'") }
                for id in ids { checkInteraction(id, ref, "interactions") }
            }
        }
        return issues.sorted(by: ValidationIssue.stableOrder)
    }

    /// The JWT `requested_scope` values GP Connect defines.
    public static let knownScopes: Set<String> = ["patient/*.read", "patient/*.write", "organization/*.read", "organization/*.write"]

    /// Why `fqdn` is not a lower-case DNS name, or `nil`.
    public static func fqdnProblem(_ fqdn: String) -> String? {
        let labels = fqdn.split(separator: ".", omittingEmptySubsequences: false)
        let ok = !fqdn.isEmpty && fqdn.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { CharacterRules.isDigit($0) || CharacterRules.isLower($0) || $0 == UInt8(ascii: "-") }
        }
        return ok ? nil : "'\(fqdn)' must be a lower-case DNS name"
    }
}

/// A party key and an interaction: how the SSP finds the endpoint for `Ssp-To`.
public struct RouteKey: Hashable, Sendable {
    public var partyKey: PartyKey
    public var interaction: InteractionID

    public init(partyKey: PartyKey, interaction: InteractionID) {
        self.partyKey = partyKey
        self.interaction = interaction
    }
}

extension String {
    /// Empty or only spaces and tabs.
    var isBlank: Bool { utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") } }
}
