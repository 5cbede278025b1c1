public import Foundation
import Crypto
import SwitchboardCore

/// Where management bearer tokens are kept: ``TokenFile`` on a single node, or the PostgreSQL
/// database every node of a multi-node deployment shares, so that a token made or revoked on one
/// node holds on every node at once. Only SHA-256 hashes are stored; a token is shown once, when
/// it is made.
public protocol ManagementTokenStore: Sendable {
    /// Makes a token for `name` with `role`, stores its hash, and returns the token.
    func add(name: String, role: Role, createdBy: String) async throws -> String
    /// Revokes the live token called `name`; the next request with it is refused.
    func revoke(name: String) async throws
    /// Every token made, live or revoked, oldest first.
    func entries() async throws -> [ManagementToken]
    /// Who a presented token belongs to, when it is live.
    func principal(for token: String) async throws -> Principal?
}

/// One stored token: its holder's name, role and hash, and when it was made and revoked.
public struct ManagementToken: Codable, Sendable, Hashable {
    public var name: String
    public var role: Role
    /// Hex SHA-256 of the token.
    public var sha256: String
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?

    public init(name: String, role: Role, sha256: String, createdAt: Date, createdBy: String, revokedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.sha256 = sha256
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }

    /// A new token (`sbt_` plus 43 base64url characters: 256 random bits, a prefix secret scanners
    /// can look for) and its entry; throws ``TokenError/invalidName(_:)`` for a bad name.
    public static func make(name: String, role: Role, createdBy: String) throws(TokenError) -> (token: String, entry: ManagementToken) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw TokenError.invalidName(name)
        }
        let token = "sbt_" + Secrets.random()
        return (token, ManagementToken(name: name, role: role, sha256: hash(token), createdAt: Date(), createdBy: createdBy))
    }

    /// The hex SHA-256 a token is stored and looked up as.
    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }

    var principal: Principal { Principal(name: "token:\(name)", role: role) }
}

public enum TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case duplicateName(String)
    case unknownName(String)

    public var description: String {
        switch self {
        case .invalidName(let name): "token name '\(name)' must be 1 to 64 letters, digits, '-', '_' or '.'"
        case .duplicateName(let name): "a live token is already called '\(name)' (revoke it first)"
        case .unknownName(let name): "no live token is called '\(name)'"
        }
    }
}
