#if canImport(Glibc)
import CoreFoundation  // stat's fields, as Foundation re-exports them on Linux
#endif
import Foundation
import SwitchboardCore
import Synchronization

/// Management bearer tokens kept in a file (`management.tokensFile`) as SHA-256 hashes only: the
/// ``ManagementTokenStore`` of a single node. Each node reads its own file, so a deployment of
/// several nodes keeps its tokens in PostgreSQL instead.
public final class TokenFile: ManagementTokenStore {
    public typealias Entry = ManagementToken

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
        let made = try ManagementToken.make(name: name, role: role, createdBy: createdBy)
        var entries = try Self.read(path)
        guard !entries.contains(where: { $0.name == name && $0.revokedAt == nil }) else { throw TokenError.duplicateName(name) }
        entries.append(made.entry)
        try Self.write(entries, to: path)
        return made.token
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
        let presented = ManagementToken.hash(token)
        var found: Entry?
        for entry in try entries() where entry.revokedAt == nil && Secrets.equal(entry.sha256, presented) { found = entry }
        return found?.principal
    }
}
