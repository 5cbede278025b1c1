public import Atomics
public import SwitchboardCore

/// An immutable, indexed view of the directory at one generation. Every lookup on the request
/// path reads one of these: no lock, no I/O, each a hash lookup. Retired entries are left out of
/// the routing indexes.
public final class DirectorySnapshot: Sendable, AtomicReference {
    /// The store's change counter when this snapshot was built.
    public let generation: Int64
    /// The full tables, retired entries included (for the admin API and export).
    public let tables: DirectoryTables

    private let activeSystems: [ASID: AccreditedSystem]
    private let activeInteractions: [InteractionID: Interaction]
    private let routes: [RouteKey: Endpoint]
    private let systemsByODS: [ODSCode: [AccreditedSystem]]
    private let endpointsByODS: [ODSCode: [Endpoint]]
    private let sharing: [SharingKey: InteractionSelector]

    public init(tables: DirectoryTables, generation: Int64) {
        self.generation = generation
        self.tables = tables
        let liveOrganisations = Set(tables.organisations.values.lazy.filter { $0.status == .active }.map(\.ods))
        var activeSystems: [ASID: AccreditedSystem] = [:]
        activeSystems.reserveCapacity(tables.systems.count)
        var systemsByODS: [ODSCode: [AccreditedSystem]] = [:]
        for system in tables.systems.values where system.status == .active && liveOrganisations.contains(system.ods) {
            activeSystems[system.asid] = system
            systemsByODS[system.ods, default: []].append(system)
        }
        let activeInteractions = tables.interactions.filter { $0.value.status == .active }
        var routes: [RouteKey: Endpoint] = [:]
        routes.reserveCapacity(tables.endpoints.count)
        var endpointsByODS: [ODSCode: [Endpoint]] = [:]
        for endpoint in tables.endpoints.values where endpoint.status == .active && liveOrganisations.contains(endpoint.ods) {
            endpointsByODS[endpoint.ods, default: []].append(endpoint)
            for interaction in endpoint.interactions where activeInteractions[interaction] != nil {
                routes[RouteKey(partyKey: endpoint.partyKey, interaction: interaction)] = endpoint
            }
        }
        var sharing: [SharingKey: InteractionSelector] = [:]
        for agreement in tables.agreements.values where agreement.status == .active {
            let key = SharingKey(consumer: agreement.consumer, provider: agreement.provider)
            switch (sharing[key], agreement.interactions) {
            case (.any?, _), (_, .any): sharing[key] = .any
            case (.only(let old)?, .only(let new)): sharing[key] = .listed(old + new)
            case (nil, let selector): sharing[key] = selector
            }
        }
        self.activeSystems = activeSystems
        self.activeInteractions = activeInteractions
        self.routes = routes
        self.systemsByODS = systemsByODS.mapValues { $0.sorted { $0.asid < $1.asid } }
        self.endpointsByODS = endpointsByODS.mapValues { $0.sorted { $0.cpaID < $1.cpaID } }
        self.sharing = sharing
    }

    /// An empty directory: every lookup misses.
    public static let empty = DirectorySnapshot(tables: DirectoryTables(), generation: 0)

    /// The active system with this ASID (in an active organisation).
    public func system(_ asid: ASID) -> AccreditedSystem? { activeSystems[asid] }

    /// The active catalogue entry for this interaction.
    public func interaction(_ id: InteractionID) -> Interaction? { activeInteractions[id] }

    /// The active endpoint serving `interaction` for `partyKey`.
    public func endpoint(partyKey: PartyKey, interaction: InteractionID) -> Endpoint? {
        routes[RouteKey(partyKey: partyKey, interaction: interaction)]
    }

    /// The active systems of an organisation, by ASID.
    public func systems(ods: ODSCode) -> [AccreditedSystem] { systemsByODS[ods] ?? [] }

    /// The active endpoints of an organisation that serve `interaction` (all of them when `nil`).
    public func endpoints(ods: ODSCode, interaction: InteractionID? = nil) -> [Endpoint] {
        let all = endpointsByODS[ods] ?? []
        guard let interaction else { return all }
        return all.filter { $0.interactions.contains(interaction) && activeInteractions[interaction] != nil }
    }

    /// Whether a sharing agreement lets `consumer` send `interaction` to `provider`.
    public func sharingAllows(from consumer: AccreditedSystem, to provider: AccreditedSystem, interaction: InteractionID) -> Bool {
        let consumers: [PartySelector] = [.asid(consumer.asid), .ods(consumer.ods), .any]
        let providers: [PartySelector] = [.asid(provider.asid), .ods(provider.ods), .any]
        for c in consumers {
            for p in providers {
                if let selector = sharing[SharingKey(consumer: c, provider: p)], selector.contains(interaction) { return true }
            }
        }
        return false
    }

    /// Where `targetURL` stands against the endpoint registered for `asid` and `interaction`.
    ///
    /// The URL must begin with the registered address exactly, followed by `/`, `?` or nothing:
    /// an IP literal, another spelling of the host or an added `:443` varies from it.
    public func resolveTarget(_ targetURL: Substring, provider asid: ASID, interaction: InteractionID) -> TargetResolution {
        guard let system = activeSystems[asid], system.receives.contains(interaction),
              let endpoint = routes[RouteKey(partyKey: system.partyKey, interaction: interaction)]
        else { return .noEndpoint }
        return Self.match(targetURL, against: endpoint)
    }

    /// Whether `targetURL` lies under `endpoint`'s address at a path-segment boundary.
    public static func match(_ targetURL: Substring, against endpoint: Endpoint) -> TargetResolution {
        let address = endpoint.address.rawValue
        guard targetURL.hasPrefix(address) else { return .varies(endpoint) }
        let rest = targetURL.dropFirst(address.count)
        guard rest.isEmpty || rest.first == "/" || rest.first == "?" else { return .varies(endpoint) }
        return .underEndpoint(endpoint, request: rest)
    }
}

/// The answer to "is this target URL under the endpoint of this ASID for this interaction?".
public enum TargetResolution: Sendable, Hashable {
    /// It is; `request` is the FHIR request after the service root (path and query).
    case underEndpoint(Endpoint, request: Substring)
    /// An endpoint is registered, but the URL does not begin with it.
    case varies(Endpoint)
    /// The ASID is unknown, retired, or registers no endpoint for the interaction.
    case noEndpoint
}

struct SharingKey: Hashable, Sendable {
    var consumer: PartySelector
    var provider: PartySelector
}
