import SwitchboardCore

/// A provider's FHIR service root as registered in SDS (`nhsMhsEndPoint`), e.g.
/// `https://gpconnect.example.nhs.uk/A81001/STU3/1/gpconnect`.
///
/// Kept exactly as registered: the SSP compares a consumer's target URL with it as a string, so
/// another host spelling, an IP literal or an added `:443` is a different address. Only the
/// form is checked here; which hosts are acceptable is an ``EndpointAddressPolicy``.
public struct EndpointAddress: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public enum Problem: Error, Hashable, Sendable {
        /// The scheme is not `https`.
        case notHTTPS
        /// The text is not an absolute `https` URL of the accepted form; the string says why.
        case malformed(String)
    }

    public let rawValue: String
    /// The host, lower-case, without brackets for IPv6.
    public let host: String
    /// The explicit port, if the address has one.
    public let port: Int?
    /// The path, `""` or beginning with `/` and not ending with `/`.
    public let path: String
    public let isIPLiteral: Bool

    public var description: String { rawValue }
    public var effectivePort: Int { port ?? 443 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(validating text: String) throws(Problem) {
        let scheme = "https://"
        guard let colon = text.firstIndex(of: ":"), text[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "." || $0 == "-" }) else {
            throw .malformed("must be an absolute URL")
        }
        guard text.hasPrefix(scheme) else { throw .notHTTPS }
        let rest = text.dropFirst(scheme.count)
        guard !rest.contains(where: { $0 == "?" || $0 == "#" }) else { throw .malformed("must not have a query or fragment") }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = String(rest[authorityEnd...])
        guard !authority.contains("@") else { throw .malformed("must not carry user information") }
        guard !authority.isEmpty else { throw .malformed("has no host") }

        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed("has an unclosed IPv6 literal") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .malformed("has text after the IPv6 literal") }
                portPart = after.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .malformed("has a malformed IPv6 literal")
            }
        } else {
            if let portColon = authority.firstIndex(of: ":") {
                hostPart = authority[..<portColon]
                portPart = authority[authority.index(after: portColon)...]
            } else {
                hostPart = authority
            }
            guard Self.isDNSNameOrIPv4(hostPart) else {
                throw .malformed("host '\(hostPart)' must be a lower-case DNS name or an IPv4 address")
            }
        }
        var port: Int?
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(\.isASCIIDigit), let value = Int(portPart),
                  (1...65535).contains(value), !portPart.hasPrefix("0")
            else { throw .malformed("has an invalid port") }
            port = value
        }
        if !path.isEmpty {
            guard !path.hasSuffix("/") else { throw .malformed("must not end with '/'") }
            for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                guard !segment.isEmpty else { throw .malformed("has an empty path segment") }
                guard segment != ".", segment != ".." else { throw .malformed("has a '.' or '..' path segment") }
                guard segment.utf8.allSatisfy(Self.isPathByte) else {
                    throw .malformed("path segment '\(segment)' may contain only letters, digits and '-._~'")
                }
            }
        }
        self.rawValue = text
        self.host = String(hostPart)
        self.port = port
        self.path = path
        self.isIPLiteral = authority.hasPrefix("[") || Self.isIPv4(hostPart)
    }

    /// Whether the host is a loopback name or address (`localhost`, `127.0.0.0/8`, `::1`).
    public var isLoopback: Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") && Self.isIPv4(Substring(host)) || host == "::1"
    }

    /// Whether the host is link-local (`169.254.0.0/16`, `fe80::/10`), e.g. a cloud metadata service.
    public var isLinkLocal: Bool {
        host.hasPrefix("169.254.") && Self.isIPv4(Substring(host)) || host.lowercased().hasPrefix("fe80:")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { try self.init(validating: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "endpoint address \(error.message)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func isPathByte(_ byte: UInt8) -> Bool {
        CharacterRules.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    private static func isDNSNameOrIPv4(_ host: Substring) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { CharacterRules.isDigit($0) || CharacterRules.isLower($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && Int($0)! <= 255 }
    }
}

extension EndpointAddress.Problem {
    /// The rule broken, in the words a validation message uses.
    public var message: String {
        switch self {
        case .notHTTPS: "must use https"
        case .malformed(let reason): reason
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Which hosts an endpoint address may name. The defaults suit production: no IP literals, no
/// loopback or link-local hosts. Development and test configurations relax them.
public struct EndpointAddressPolicy: Hashable, Sendable, Codable {
    public var allowIPLiterals: Bool
    public var allowLoopback: Bool
    /// When not empty, the host must equal one of these or end with `.` + one of them.
    public var allowedHostSuffixes: [String]

    public init(allowIPLiterals: Bool = false, allowLoopback: Bool = false, allowedHostSuffixes: [String] = []) {
        self.allowIPLiterals = allowIPLiterals
        self.allowLoopback = allowLoopback
        self.allowedHostSuffixes = allowedHostSuffixes
    }

    /// Why the policy refuses `address`, or `nil` when it accepts it.
    public func problem(with address: EndpointAddress) -> String? {
        if address.isLinkLocal { return "names a link-local host" }
        if address.isLoopback && !allowLoopback { return "names a loopback host (allowed only when directory.endpointPolicy.allowLoopback is set)" }
        if address.isIPLiteral && !address.isLoopback && !allowIPLiterals { return "names an IP literal, not a host name" }
        if !allowedHostSuffixes.isEmpty && !address.isLoopback,
           !allowedHostSuffixes.contains(where: { address.host == $0 || address.host.hasSuffix("." + $0) }) {
            return "names a host outside directory.endpointPolicy.allowedHostSuffixes"
        }
        return nil
    }
}
