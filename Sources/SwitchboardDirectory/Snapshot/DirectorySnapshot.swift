public import Atomics
public import SwitchboardCore

/// An immutable, indexed view of the directory at one generation. Every lookup on the request
/// path reads one of these: no lock, no I/O, a few hash lookups. Retired entries (and entries of
/// retired organisations) never match a routing lookup.
///
/// Building one costs little beyond the tables themselves: systems and interactions are read
/// from the tables directly; only endpoints (by party key, with their interactions as a bit set
/// over the catalogue) and sharing agreements get their own index.
public final class DirectorySnapshot: Sendable, AtomicReference {
    /// The store's change counter when this snapshot was built.
    public let generation: Int64
    /// The full tables, retired entries included (for the admin API and export).
    public let tables: DirectoryTables

    /// Active organisations.
    private let liveOrganisations: Set<ODSCode>
    /// Active interactions, each with its bit position.
    private let catalogue: [InteractionID: CatalogueSlot]
    /// Active systems of active organisations, with what they send and receive as bit sets.
    private let routable: [ASID: RoutableSystem]
    /// Active endpoints of active organisations, by party key (usually one each).
    private let endpointsByPartyKey: [PartyKey: [IndexedEndpoint]]
    /// Active agreements: consumer selector → provider selector → interactions.
    private let sharing: [PartySelector: [PartySelector: InteractionSelector]]

    struct IndexedEndpoint: Sendable {
        let endpoint: Endpoint
        let interactions: InteractionBits
    }

    public init(tables: DirectoryTables, generation: Int64) {
        self.generation = generation
        self.tables = tables
        var live = Set<ODSCode>(minimumCapacity: tables.organisations.count)
        for organisation in tables.organisations.values where organisation.status == .active { live.insert(organisation.ods) }
        var catalogue: [InteractionID: CatalogueSlot] = [:]
        for interaction in tables.interactions.values.sorted(by: { $0.id < $1.id }) where interaction.status == .active {
            catalogue[interaction.id] = CatalogueSlot(bit: catalogue.count, interaction: interaction)
        }
        func bits(_ ids: [InteractionID]) -> InteractionBits {
            var bits = InteractionBits()
            for id in ids { if let slot = catalogue[id] { bits.insert(slot.bit) } }
            return bits
        }
        var routable: [ASID: RoutableSystem] = [:]
        routable.reserveCapacity(tables.systems.count)
        for system in tables.systems.values where system.status == .active && live.contains(system.ods) {
            routable[system.asid] = RoutableSystem(system: system, sends: bits(system.sends), receives: bits(system.receives))
        }
        var endpoints: [PartyKey: [IndexedEndpoint]] = [:]
        endpoints.reserveCapacity(tables.endpoints.count)
        for endpoint in tables.endpoints.values where endpoint.status == .active && live.contains(endpoint.ods) {
            endpoints[endpoint.partyKey, default: []].append(IndexedEndpoint(endpoint: endpoint, interactions: bits(endpoint.interactions)))
        }
        var sharing: [PartySelector: [PartySelector: InteractionSelector]] = [:]
        for agreement in tables.agreements.values where agreement.status == .active {
            let existing = sharing[agreement.consumer]?[agreement.provider]
            let merged: InteractionSelector = switch (existing, agreement.interactions) {
            case (.any?, _), (_, .any): .any
            case (.only(let old)?, .only(let new)): .listed(old + new)
            case (nil, let selector): selector
            }
            sharing[agreement.consumer, default: [:]][agreement.provider] = merged
        }
        self.liveOrganisations = live
        self.catalogue = catalogue
        self.routable = routable
        self.endpointsByPartyKey = endpoints
        self.sharing = sharing
    }

    /// An empty directory: every lookup misses.
    public static let empty = DirectorySnapshot(tables: DirectoryTables(), generation: 0)

    // MARK: Request-path lookups

    /// The active catalogue entry for this interaction, with its position for the lookups below.
    public func catalogueSlot(_ id: InteractionID) -> CatalogueSlot? { catalogue[id] }

    /// The active system with this ASID, in an active organisation, ready for routing checks.
    public func routableSystem(_ asid: ASID) -> RoutableSystem? { routable[asid] }

    /// The active endpoint serving `slot` for `partyKey`.
    public func endpoint(partyKey: PartyKey, slot: CatalogueSlot) -> Endpoint? {
        guard let candidates = endpointsByPartyKey[partyKey] else { return nil }
        for candidate in candidates where candidate.interactions.contains(slot.bit) { return candidate.endpoint }
        return nil
    }

    /// Whether a sharing agreement lets `consumer` send `slot`'s interaction to `provider`.
    public func sharingAllows(from consumer: RoutableSystem, to provider: RoutableSystem, slot: CatalogueSlot) -> Bool {
        for consumerSelector in consumer.selectors {
            guard let byProvider = sharing[consumerSelector] else { continue }
            for providerSelector in provider.selectors {
                if let selector = byProvider[providerSelector], selector.contains(slot.interaction.id) { return true }
            }
        }
        return false
    }

    // MARK: Conveniences

    /// The active system with this ASID, in an active organisation.
    public func system(_ asid: ASID) -> AccreditedSystem? { routable[asid]?.system }

    /// The active catalogue entry for this interaction.
    public func interaction(_ id: InteractionID) -> Interaction? { catalogue[id]?.interaction }

    /// The active endpoint serving `interaction` for `partyKey`.
    public func endpoint(partyKey: PartyKey, interaction: InteractionID) -> Endpoint? {
        catalogue[interaction].flatMap { endpoint(partyKey: partyKey, slot: $0) }
    }

    /// The active systems of an organisation, by ASID.
    public func systems(ods: ODSCode) -> [AccreditedSystem] {
        guard liveOrganisations.contains(ods) else { return [] }
        return tables.systems.values.filter { $0.ods == ods && $0.status == .active }.sorted { $0.asid < $1.asid }
    }

    /// The active endpoints of an organisation that serve `interaction` (all of them when `nil`).
    public func endpoints(ods: ODSCode, interaction: InteractionID? = nil) -> [Endpoint] {
        guard liveOrganisations.contains(ods) else { return [] }
        let bit = interaction.flatMap { catalogue[$0]?.bit }
        if interaction != nil && bit == nil { return [] }
        return tables.endpoints.values.filter { endpoint in
            endpoint.ods == ods && endpoint.status == .active
                && (bit.map { bit in endpointsByPartyKey[endpoint.partyKey]?.contains { $0.endpoint.cpaID == endpoint.cpaID && $0.interactions.contains(bit) } ?? false } ?? true)
        }.sorted { $0.cpaID < $1.cpaID }
    }

    /// Whether a sharing agreement lets `consumer` send `interaction` to `provider`.
    public func sharingAllows(from consumer: AccreditedSystem, to provider: AccreditedSystem, interaction: InteractionID) -> Bool {
        guard let from = routable[consumer.asid], let to = routable[provider.asid], let slot = catalogue[interaction] else { return false }
        return sharingAllows(from: from, to: to, slot: slot)
    }

    /// Where `targetURL` stands against the endpoint registered for `asid` and `interaction`.
    ///
    /// The URL must begin with the registered address exactly, followed by `/`, `?` or nothing:
    /// an IP literal, another spelling of the host or an added `:443` varies from it.
    public func resolveTarget(_ targetURL: Substring, provider asid: ASID, interaction: InteractionID) -> TargetResolution {
        guard let slot = catalogue[interaction], let system = routable[asid], system.receives(slot),
              let endpoint = endpoint(partyKey: system.system.partyKey, slot: slot)
        else { return .noEndpoint }
        return Self.match(targetURL, against: endpoint)
    }

    /// Whether `targetURL` lies under `endpoint`'s address at a path-segment boundary.
    public static func match(_ targetURL: Substring, against endpoint: Endpoint) -> TargetResolution {
        let address = endpoint.address.rawValue.utf8
        let target = targetURL.utf8
        guard target.count >= address.count, target.starts(with: address) else { return .varies(endpoint) }
        let restStart = target.index(target.startIndex, offsetBy: address.count)
        guard restStart == target.endIndex || target[restStart] == UInt8(ascii: "/") || target[restStart] == UInt8(ascii: "?") else {
            return .varies(endpoint)
        }
        return .underEndpoint(endpoint, request: Substring(target[restStart...]))
    }
}

/// An active interaction of the catalogue and its position in the snapshot's bit sets.
public struct CatalogueSlot: Sendable {
    let bit: Int
    public let interaction: Interaction
}

/// An active system as the request path checks it: what it may send and receives, as bit sets
/// over the catalogue, and the selectors a sharing agreement may name it by.
public final class RoutableSystem: Sendable {
    public let system: AccreditedSystem
    let sendBits: InteractionBits
    let receiveBits: InteractionBits
    let selectors: [PartySelector]

    init(system: AccreditedSystem, sends: InteractionBits, receives: InteractionBits) {
        self.system = system
        self.sendBits = sends
        self.receiveBits = receives
        self.selectors = [.asid(system.asid), .ods(system.ods), .any]
    }

    /// Whether the system is accredited to send the interaction.
    public func sends(_ slot: CatalogueSlot) -> Bool { sendBits.contains(slot.bit) }

    /// Whether the system is registered to receive the interaction.
    public func receives(_ slot: CatalogueSlot) -> Bool { receiveBits.contains(slot.bit) }
}

/// A set of small integers (interaction positions in the catalogue), inline up to 64.
struct InteractionBits: Sendable, Hashable {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    mutating func insert(_ bit: Int) {
        if bit < 64 {
            low |= 1 << UInt64(bit)
        } else {
            let word = bit / 64 - 1
            if high.count <= word { high += Array(repeating: 0, count: word - high.count + 1) }
            high[word] |= 1 << UInt64(bit % 64)
        }
    }

    func contains(_ bit: Int) -> Bool {
        if bit < 64 { return low & (1 << UInt64(bit)) != 0 }
        let word = bit / 64 - 1
        return word < high.count && high[word] & (1 << UInt64(bit % 64)) != 0
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
