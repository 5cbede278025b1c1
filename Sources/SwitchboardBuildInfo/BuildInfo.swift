/// What this build of Switchboard was made from: `switchboard --version`, the proxy's `/_status`
/// and the `switchboard_build_info` metric all report it. ``current`` is generated at build time
/// by `Plugins/BuildInfoPlugin` (`scripts/build-info`).
public struct BuildInfo: Sendable, Hashable, Codable {
    /// The release, from the repository's `VERSION` file.
    public var version: String
    /// The git commit, abbreviated, with `-modified` when the working tree had changes.
    public var commit: String
    /// When the build information was last recorded (RFC 3339, UTC): the build of this commit.
    public var builtAt: String
    /// The Swift compiler that built it.
    public var swiftVersion: String

    public init(version: String, commit: String, builtAt: String, swiftVersion: String) {
        self.version = version
        self.commit = commit
        self.builtAt = builtAt
        self.swiftVersion = swiftVersion
    }

    /// `switchboard 0.14.0 (commit 1a2b3c4d5e6f, built 2026-11-30T19:40:12Z, Swift 6.3.1)`.
    public var description: String {
        "switchboard \(version) (commit \(commit), built \(builtAt), Swift \(swiftVersion))"
    }
}
