import SwitchboardCore

/// The FHIR request path an interaction uses, relative to the service root: literal segments and
/// `{id}` placeholders for one FHIR logical id, e.g. `/Patient/{id}/Appointment`.
public struct PathPattern: Hashable, Sendable, Codable, CustomStringConvertible {
    enum Segment: Hashable, Sendable {
        case literal(Substring)
        case id
    }

    public let rawValue: String
    let segments: [Segment]

    public var description: String { rawValue }

    public init(validating text: String) throws(PathPatternError) {
        guard text.hasPrefix("/"), text.count > 1, !text.hasSuffix("/") else {
            throw PathPatternError(text: text, reason: "must begin with '/' and name at least one segment, without a trailing '/'")
        }
        var segments: [Segment] = []
        for part in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if part == "{id}" {
                segments.append(.id)
            } else if !part.isEmpty, part.utf8.allSatisfy(Self.isLiteralByte) {
                segments.append(.literal(part))
            } else {
                throw PathPatternError(text: text, reason: "segment '\(part)' must be '{id}' or letters, digits and '$-._'")
            }
        }
        self.rawValue = text
        self.segments = segments
    }

    /// Whether `path` (relative to the service root, without query) fits the pattern.
    public func matches(_ path: Substring) -> Bool {
        guard path.first == "/" else { return false }
        var remaining = path.dropFirst()
        for (index, segment) in segments.enumerated() {
            let end = remaining.firstIndex(of: "/") ?? remaining.endIndex
            let part = remaining[..<end]
            switch segment {
            case .literal(let literal): guard part == literal else { return false }
            case .id: guard Self.isLogicalID(part) else { return false }
            }
            let isLast = index == segments.count - 1
            if isLast { return end == remaining.endIndex }
            guard end != remaining.endIndex else { return false }
            remaining = remaining[remaining.index(after: end)...]
        }
        return false
    }

    /// A FHIR logical id: `[A-Za-z0-9\-\.]{1,64}`.
    public static func isLogicalID(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { CharacterRules.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    private static func isLiteralByte(_ byte: UInt8) -> Bool {
        CharacterRules.isAlphanumeric(byte) || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { try self.init(validating: try container.decode(String.self)) } catch let error as PathPatternError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public struct PathPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "path pattern '\(text)' \(reason)" }
}
