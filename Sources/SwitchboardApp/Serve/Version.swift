import SwitchboardBuildInfo

/// What `switchboard --version` prints: the version, the commit, when it was built and the Swift
/// compiler, e.g. `switchboard 0.14.0 (commit 1a2b3c4d5e6f, built 2026-11-30T19:40:12Z, Swift 6.3.1)`.
public let switchboardVersion = BuildInfo.current.description
