import Foundation

/// Who runs a command from this shell, as the directory history and the audit name them:
/// `cli:<user>`, the user behind `sudo` when there is one.
enum CommandLineOperator {
    static var actor: String {
        "cli:\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? NSUserName())"
    }
}
