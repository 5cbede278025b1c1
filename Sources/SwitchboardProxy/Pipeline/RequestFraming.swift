public import NIOHTTP1

/// Accept: what the HTTP decoder lets through but a proxy must still refuse, because two
/// servers could frame the message differently (smuggling) or because HTTP/1.1 requires it.
public enum RequestFraming {
    /// How the request's body is delimited.
    public enum Body: Sendable, Hashable {
        case none
        case length(Int)
        case chunked
    }

    /// Checks the head's framing and returns how its body is delimited.
    public static func check(_ head: HTTPRequestHead, maxBodyBytes: Int) throws(ProxyRefusal) -> Body {
        guard head.version.major == 1 else { throw .malformedRequest }
        let hosts = head.headers["host"]
        guard hosts.count == 1, !hosts[0].isEmpty else {
            throw hosts.count > 1 ? .duplicateHeader("Host") : .invalidHeader("Host")
        }
        let encodings = head.headers["transfer-encoding"]
        let lengths = head.headers["content-length"]
        if !encodings.isEmpty {
            guard lengths.isEmpty, encodings.count == 1, encodings[0].lowercased() == "chunked" else { throw .malformedRequest }
            return .chunked
        }
        guard lengths.count <= 1 else { throw .malformedRequest }
        guard let text = lengths.first else { return .none }
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
            throw .malformedRequest
        }
        guard length <= maxBodyBytes else { throw .bodyTooLarge }
        return length == 0 ? .none : .length(length)
    }
}
