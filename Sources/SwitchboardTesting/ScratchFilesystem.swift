public import Foundation

/// A small ext4 file system in a loop-mounted image, made for one test, so a test can make
/// the disk under a store full or its files unwritable while the store has them open.
/// Mounting needs root (CAP_SYS_ADMIN) and a loop device; tests that use it run when
/// `isAvailable`.
public final class ScratchFilesystem: Sendable {
    public let mountPoint: URL
    private let image: URL

    /// True when this process may mount file systems (it runs as root) and has the tools.
    public static var isAvailable: Bool {
        geteuid() == 0 && ["/sbin/mkfs.ext4", "/bin/mount", "/usr/bin/chattr"].allSatisfy(FileManager.default.isExecutableFile(atPath:))
            && FileManager.default.fileExists(atPath: "/dev/loop-control")
    }

    /// Makes and mounts a file system of `sizeKiB` at a fresh folder under `parent`.
    public init(under parent: URL, sizeKiB: Int) throws {
        image = parent.appendingPathComponent("scratch-fs.ext4")
        mountPoint = parent.appendingPathComponent("scratch-fs")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: image.path, contents: nil) else { throw ScratchFilesystemError(message: "cannot create \(image.path)") }
        try FileHandle(forWritingTo: image).truncate(atOffset: UInt64(sizeKiB) * 1024)
        try Self.run("/sbin/mkfs.ext4", ["-q", "-F", image.path])
        try Self.run("/bin/mount", ["-o", "loop", image.path, mountPoint.path])
    }

    /// Marks `files` immutable: writes to them fail with `EPERM` even through descriptors already
    /// open, as on a store whose disk refuses writes. (Not SQLite's `-shm` file: a write to a
    /// shared mapping of an immutable file is a SIGBUS, which no SQLite user survives.)
    public func makeReadOnly(_ files: [String]) throws { try Self.run("/usr/bin/chattr", ["+i"] + files) }

    /// Clears the immutable flag from everything on the file system.
    public func makeWritable() throws { try Self.run("/usr/bin/chattr", ["-R", "-i", mountPoint.path]) }

    /// Writes a file that takes every free byte, so the next write fails with ENOSPC.
    public func fill(_ name: String = "filler") throws {
        let path = mountPoint.appendingPathComponent(name).path
        guard let file = fopen(path, "w") else { throw ScratchFilesystemError(message: "cannot create \(path)") }
        defer { fclose(file) }
        let chunk = [UInt8](repeating: 0xA5, count: 4096)
        while fwrite(chunk, 1, chunk.count, file) == chunk.count, fflush(file) == 0 {}
    }

    public func removeFiller(_ name: String = "filler") throws {
        try FileManager.default.removeItem(at: mountPoint.appendingPathComponent(name))
    }

    /// Unmounts (lazily, so files of a store still shutting down do not keep it busy) and
    /// removes the image.
    public func unmount() {
        try? makeWritable()
        try? Self.run("/bin/umount", ["-l", mountPoint.path])
        try? FileManager.default.removeItem(at: image)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let (status, message) = try BackgroundProgram.run(tool, arguments)
        guard status == 0 else {
            throw ScratchFilesystemError(message: "\(tool) \(arguments.joined(separator: " ")): \(message)")
        }
    }
}

public struct ScratchFilesystemError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
