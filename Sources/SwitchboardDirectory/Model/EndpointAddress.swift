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
        let bytes = Array(text.utf8)
        let scheme = Array("https://".utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              bytes[..<colon].allSatisfy({ CharacterRules.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { throw .malformed("must be an absolute URL") }
        guard bytes.starts(with: scheme) else { throw .notHTTPS }
        let rest = bytes[scheme.count...]
        guard !rest.contains(UInt8(ascii: "?")) && !rest.contains(UInt8(ascii: "#")) else { throw .malformed("must not have a query or fragment") }
        let authorityEnd = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        guard !authority.contains(UInt8(ascii: "@")) else { throw .malformed("must not carry user information") }
        guard !authority.isEmpty else { throw .malformed("has no host") }

        let hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>?
        let bracketed = authority.first == UInt8(ascii: "[")
        if bracketed {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw .malformed("has an unclosed IPv6 literal") }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { throw .malformed("has text after the IPv6 literal") }
                portBytes = after.dropFirst()
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                throw .malformed("has a malformed IPv6 literal")
            }
        } else {
            if let portColon = authority.firstIndex(of: UInt8(ascii: ":")) {
                hostBytes = authority[..<portColon]
                portBytes = authority[(portColon + 1)...]
            } else {
                hostBytes = authority
            }
            guard Self.isDNSNameOrIPv4(hostBytes) else {
                throw .malformed("host '\(String(decoding: hostBytes, as: UTF8.self))' must be a lower-case DNS name or an IPv4 address")
            }
        }
        var port: Int?
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.first != UInt8(ascii: "0"), portBytes.allSatisfy(CharacterRules.isDigit) else {
                throw .malformed("has an invalid port")
            }
            let value = portBytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard (1...65535).contains(value) else { throw .malformed("has an invalid port") }
            port = value
        }
        if !path.isEmpty {
            guard path.last != UInt8(ascii: "/") else { throw .malformed("must not end with '/'") }
            for segment in path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
                guard !segment.isEmpty else { throw .malformed("has an empty path segment") }
                guard !segment.elementsEqual(".".utf8), !segment.elementsEqual("..".utf8) else { throw .malformed("has a '.' or '..' path segment") }
                guard segment.allSatisfy(Self.isPathByte) else {
                    throw .malformed("path segment '\(String(decoding: segment, as: UTF8.self))' may contain only letters, digits and '-._~'")
                }
            }
        }
        self.rawValue = text
        self.host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
        self.path = String(decoding: path, as: UTF8.self)
        self.isIPLiteral = bracketed || Self.isIPv4(hostBytes)
    }

    /// Whether the host is a loopback name or address (`localhost`, `127.0.0.0/8`, `::1`).
    public var isLoopback: Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") && Self.isIPv4(ArraySlice(host.utf8)) || host == "::1"
    }

    /// Whether the host is link-local (`169.254.0.0/16`, `fe80::/10`), e.g. a cloud metadata service.
    public var isLinkLocal: Bool {
        host.hasPrefix("169.254.") && Self.isIPv4(ArraySlice(host.utf8)) || host.lowercased().hasPrefix("fe80:")
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

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        CharacterRules.isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    private static func isDNSNameOrIPv4(_ host: ArraySlice<UInt8>) -> Bool {
        guard !host.isEmpty, host.count <= 253 else { return false }
        return host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { CharacterRules.isDigit($0) || CharacterRules.isLower($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isIPv4(_ host: ArraySlice<UInt8>) -> Bool {
        let parts = host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(CharacterRules.isDigit) && part.reduce(0, { $0 * 10 + Int($1 - 48) }) <= 255
        }
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
