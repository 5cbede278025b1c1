public import SwitchboardCore

/// An entry of the interaction catalogue: what an interaction URN means on the wire.
public struct Interaction: Hashable, Sendable, Codable {
    public var id: InteractionID
    /// A short human name, e.g. "Search for free slots".
    public var name: String
    public var method: HTTPMethodName
    /// The FHIR request path relative to the service root, e.g. `/Appointment/{id}`.
    public var path: PathPattern
    /// The `requested_scope` the JWT must carry, e.g. `organization/*.read`.
    public var scope: String
    public var status: RecordStatus
    public var version: Int

    public init(
        id: InteractionID, name: String, method: HTTPMethodName, path: PathPattern, scope: String,
        status: RecordStatus = .active, version: Int = 0
    ) {
        self.id = id
        self.name = name
        self.method = method
        self.path = path
        self.scope = scope
        self.status = status
        self.version = version
    }
}
