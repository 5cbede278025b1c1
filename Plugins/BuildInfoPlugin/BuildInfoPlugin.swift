import Foundation
import PackagePlugin

/// Records what a build was made from — the version, the git commit, when, and the Swift
/// compiler — as Swift source for `SwitchboardBuildInfo`, before every build. The file is
/// rewritten only when the commit or the compiler changes, so an unchanged tree rebuilds nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Generated")
        let script = context.package.directoryURL.appendingPathComponent("scripts/build-info")
        let compiler = (try? context.tool(named: "swiftc"))?.url.path ?? "swiftc"
        return [
            .prebuildCommand(displayName: "Recording build information", executable: URL(fileURLWithPath: "/bin/sh"),
                             arguments: [script.path, context.package.directoryURL.path, output.appendingPathComponent("BuildInfo+Generated.swift").path,
                                         compiler],
                             outputFilesDirectory: output),
        ]
    }
}
