public import Foundation
import Crypto
import SwitchboardCore
import Synchronization

/// Management bearer tokens, kept in a file as SHA-256 hashes only. A token is shown once, when
/// it is made (`switchboard tokens add`); `sbt_` plus 43 base64url characters (256 random bits),
/// a prefix secret scanners can look for.
public final class TokenFile: Sendable {
    /// One stored token.
    public struct Entry: Codable, Sendable, Hashable {
        public var name: String
        public var role: Role
        /// Hex SHA-256 of the token.
        public var sha256: String
        public var createdAt: Date
        public var createdBy: String
        public var revokedAt: Date?
    }

    public let path: String
    private struct Cache {
        var entries: [Entry] = []
        var modified: Date?
        var checked = ContinuousClock.now - .seconds(10)
    }
    private let cache = Mutex(Cache())

    public init(path: String) {
        self.path = path
    }

    /// The entries, re-read when the file changed (checked at most once a second).
    public func entries() throws -> [Entry] {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ cache -> [Entry]? in now - cache.checked < .seconds(1) ? cache.entries : nil }) { return cached }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        if let cached = cache.withLock({ cache -> [Entry]? in
            guard cache.modified == modified else { return nil }
            cache.checked = now
            return cache.entries
        }) { return cached }
        let entries = try Self.read(path)
        cache.withLock { $0 = Cache(entries: entries, modified: modified, checked: now) }
        return entries
    }

    static func read(_ path: String) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([Entry].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ entries: [Entry], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(entries).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// Makes a token for `name` with `role`, stores its hash, and returns the token (shown once).
    public func add(name: String, role: Role, createdBy: String) throws -> String {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw TokenError.invalidName(name)
        }
        var entries = try Self.read(path)
        guard !entries.contains(where: { $0.name == name && $0.revokedAt == nil }) else { throw TokenError.duplicateName(name) }
        let token = Self.makeToken()
        entries.append(Entry(name: name, role: role, sha256: Self.hash(token), createdAt: Date(), createdBy: createdBy))
        try Self.write(entries, to: path)
        return token
    }

    /// Revokes the live token called `name`.
    public func revoke(name: String) throws {
        var entries = try Self.read(path)
        guard let index = entries.firstIndex(where: { $0.name == name && $0.revokedAt == nil }) else { throw TokenError.unknownName(name) }
        entries[index].revokedAt = Date()
        try Self.write(entries, to: path)
    }

    /// The live entry whose hash matches `token`, compared in constant time.
    public func principal(for token: String) throws -> Principal? {
        let presented = Self.hash(token)
        var found: Entry?
        for entry in try entries() where entry.revokedAt == nil && Secrets.equal(entry.sha256, presented) { found = entry }
        return found.map { Principal(name: "token:\($0.name)", role: $0.role) }
    }

    static func makeToken() -> String { "sbt_" + Secrets.random() }

    static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
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
