/// The HTTP methods the SSP accepts. Anything else is refused with `405`.
public enum HTTPMethodName: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case GET, POST, PUT, DELETE, PATCH, OPTIONS

    public var description: String { rawValue }
}
