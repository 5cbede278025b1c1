import Foundation
import SwitchboardCore

/// The copy of a node's checkpoints outside the store: one JSON object a line, appended and
/// synced. Someone who can rewrite the database cannot take back what was copied here.
public enum CheckpointFile {
    /// Appends `checkpoint` as one line and syncs the file before returning.
    public static func append(_ checkpoint: AuditCheckpoint, to path: String) throws {
        let line = try SwitchboardJSON.encoder().encode(checkpoint) + Data("\n".utf8)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw CheckpointFileError(path: path, line: nil, problem: "cannot be opened for appending: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw CheckpointFileError(path: path, line: nil, problem: "took \(max(written, 0)) of \(line.count) bytes: \(String(cString: strerror(errno)))")
        }
        guard fsync(descriptor) == 0 else { throw CheckpointFileError(path: path, line: nil, problem: "cannot be synced: \(String(cString: strerror(errno)))") }
    }

    /// Every checkpoint in the file, in the order written.
    public static func read(_ path: String) throws(CheckpointFileError) -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointFileError(path: path, line: nil, problem: "cannot be read: no such file, or permission denied")
        }
        let decoder = SwitchboardJSON.decoder()
        var checkpoints: [AuditCheckpoint] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                var checkpoint = try decoder.decode(AuditCheckpoint.self, from: Data(line))
                // The line holds milliseconds, as the signed statement does.
                checkpoint.signedAt = AuditCheckpoint.toMillisecond(checkpoint.signedAt)
                checkpoints.append(checkpoint)
            } catch {
                throw CheckpointFileError(path: path, line: index + 1, problem: "is not a checkpoint: \(error)")
            }
        }
        return checkpoints
    }
}

/// A checkpoint file that cannot be written or read, naming the file and line.
public struct CheckpointFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var problem: String

    public var description: String { "checkpoint file \(path)\(line.map { ", line \($0)," } ?? "") \(problem)" }
}
