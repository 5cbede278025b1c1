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
    /// The entries as last read, and which version of the file they came from.
    private struct Cache {
        var entries: [Entry] = []
        var version: FileVersion?
    }
    private let cache = Mutex(Cache())

    public init(path: String) {
        self.path = path
    }

    /// The entries, re-read whenever the file has changed since the last read (one `stat` per
    /// call), so a token revoked by `switchboard tokens revoke` is refused on the next request.
    public func entries() throws -> [Entry] {
        let version = FileVersion(path: path)
        if let cached = cache.withLock({ cache -> [Entry]? in cache.version == version && version != nil ? cache.entries : nil }) { return cached }
        let entries = try Self.read(path)
        cache.withLock { $0 = Cache(entries: entries, version: version) }
        return entries
    }

    /// What tells one version of a file from the next: the file written anew (a new inode, as an
    /// atomic replace makes), its size, or its modification time to the nanosecond.
    struct FileVersion: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int

        /// nil when the file is not there.
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            #if canImport(Darwin)
            modifiedSeconds = Int(info.st_mtimespec.tv_sec)
            modifiedNanoseconds = Int(info.st_mtimespec.tv_nsec)
            #else
            modifiedSeconds = Int(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
            #endif
        }
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
