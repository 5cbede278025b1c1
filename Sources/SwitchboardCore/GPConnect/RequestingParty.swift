/// What a GP Connect audit JWT says about who asked and why: the claims an audit record keeps.
public struct RequestingParty: Hashable, Sendable, Codable {
    /// `sub` / the practitioner's SDS user id.
    public var userID: String?
    public var userRoleProfileID: String?
    public var userName: String?
    /// The requesting organisation's ODS code and name.
    public var organisationODS: String?
    public var organisationName: String?
    /// The requesting device: identifier, model, version.
    public var device: String?
    public var reasonForRequest: String?
    public var requestedScope: String?
    public var issuer: String?

    public init() {}
}
