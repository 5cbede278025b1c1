/// A listener that could not start: which one, on which address, why, and the setting that
/// chooses the address — so the message says what to change.
public struct ListenerError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// Another program (or another Switchboard) listens there.
        case addressInUse
        /// Ports below 1024 need privileges this process lacks.
        case permissionDenied
        /// This machine has no interface with that address.
        case addressNotAvailable
        case other(String)
    }

    /// What listens, as a person calls it: `the proxy listener`.
    public var listener: String
    public var host: String
    public var port: Int
    public var reason: Reason
    /// The setting or option that chooses the port, e.g. `proxy.listen.port` or `--proxy-port`.
    public var setting: String

    public init(listener: String, host: String, port: Int, reason: Reason, setting: String) {
        self.listener = listener
        self.host = host
        self.port = port
        self.reason = reason
        self.setting = setting
    }

    /// Reads the reason from the errno a failed `bind` gave (98 in use, 13 denied, 99 not available).
    public init(listener: String, host: String, port: Int, errnoCode: Int32?, detail: String, setting: String) {
        let reason: Reason = switch errnoCode {
        case 98: .addressInUse
        case 13: .permissionDenied
        case 99: .addressNotAvailable
        default: .other(detail)
        }
        self.init(listener: listener, host: host, port: port, reason: reason, setting: setting)
    }

    public var description: String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch reason {
        case .addressInUse:
            return "\(listener) cannot listen on \(address): another program is already using port \(port); stop it, or choose another port with \(setting)"
        case .permissionDenied:
            return "\(listener) cannot listen on \(address): this user may not bind port \(port) (ports below 1024 need privileges); choose a port of 1024 or more with \(setting)"
        case .addressNotAvailable:
            return "\(listener) cannot listen on \(address): this machine has no interface with address \(host); choose one it has"
        case .other(let detail):
            return "\(listener) cannot listen on \(address): \(detail)"
        }
    }
}
