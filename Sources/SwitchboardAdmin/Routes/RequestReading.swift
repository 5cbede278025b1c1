import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// A request's query decoded as `application/x-www-form-urlencoded`, as browsers and HTTP
/// libraries send it: `+` is a space and each `%XX` is decoded once. A route says which names
/// it takes; any other name, or a name given twice, is refused before anything happens.
struct FormQuery: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ request: Request) throws(ManagementError) {
        try self.init(raw: request.uri.query)
    }

    init(raw: String?) throws(ManagementError) {
        guard let raw, !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(pieces[0]), let value = Self.decode(pieces.count > 1 ? pieces[1] : "") else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter",
                                      message: "the query is not valid percent-encoded UTF-8; encode it as application/x-www-form-urlencoded")
            }
            pairs.append((name, value))
        }
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Refuses any name but `allowed`, and any name given more than once.
    func only(_ allowed: Set<String>) throws(ManagementError) {
        var seen = Set<String>()
        for (name, _) in pairs {
            guard allowed.contains(name) else {
                let known = allowed.isEmpty ? "this route takes no query parameters" : "this route takes \(allowed.sorted().joined(separator: ", "))"
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "unknown query parameter '\(name.prefix(64))': \(known)",
                                      issues: [.init(entry: nil, field: String(name.prefix(64)), rule: "unknown-parameter", message: known)])
            }
            guard seen.insert(name).inserted else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "'\(name)' is given more than once",
                                      issues: [.init(entry: nil, field: name, rule: "repeated-parameter", message: "give it once")])
            }
        }
    }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every pair except `excluded` names.
    func excluding(_ excluded: Set<String>) -> [(String, String)] {
        pairs.filter { !excluded.contains($0.name) }.map { ($0.name, $0.value) }
    }

    /// A `true` / `false` parameter; absent is `false`.
    func flag(_ name: String) throws(ManagementError) -> Bool {
        switch self[name] {
        case nil, "false": return false
        case "true": return true
        case let other?:
            throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "\(name) must be true or false, not '\(other.prefix(32))'",
                                  issues: [.init(entry: nil, field: name, rule: "invalid-parameter", message: "true or false")])
        }
    }
}

/// Reads a JSON request body strictly into a `Decodable` type: `Content-Type: application/json`
/// or `415`; at most the configured size or `413`; exactly RFC 8259 (no duplicate member, no
/// comments) or `400`; and every field of its type — a wrong type, a `null` where none is
/// allowed, a missing or an unknown field is a `400` that names the field. No error echoes the
/// body.
enum JSONBody {
    static func read<T: Decodable>(_ type: T.Type, from request: Request, limit: Int,
                                   userInfo: [CodingUserInfoKey: any Sendable] = [:]) async throws(ManagementError) -> T {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw ManagementError(status: .unsupportedMediaType, code: "unsupported-media-type",
                                  message: "send the body as JSON with Content-Type: application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw tooLarge(limit)
        }
        return try decode(type, from: Array(buffer.readableBytesView), userInfo: userInfo)
    }

    /// Decodes `bytes` as ``read(_:from:limit:)`` does, for text that came another way (a form).
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws(ManagementError) -> T {
        guard !bytes.isEmpty else { throw ManagementError(status: .badRequest, code: "malformed-json", message: "the body is empty") }
        guard JSONValue.parse(bytes, maximumDepth: 32) != nil else {
            throw ManagementError(status: .badRequest, code: "malformed-json",
                                  message: "the body is not valid JSON (RFC 8259: no comments, trailing commas or repeated member names)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.userInfo = userInfo
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            let (field, rule, message) = describe(error)
            throw ManagementError(status: .badRequest, code: "invalid-body", message: field.isEmpty ? message : "\(field): \(message)",
                                  issues: [.init(entry: nil, field: field.isEmpty ? nil : field, rule: rule, message: message)])
        } catch {
            throw ManagementError(status: .badRequest, code: "invalid-body", message: "the body cannot be read as this request's JSON")
        }
    }

    static func tooLarge(_ limit: Int) -> ManagementError {
        ManagementError(status: .contentTooLarge, code: "body-too-large",
                        message: "the body is larger than \(limit) bytes (management.maximumBodyBytes); send a smaller one, or split a batch")
    }

    /// The dotted field path, the rule it breaks and what is wrong with it.
    static func describe(_ error: DecodingError) -> (field: String, rule: String, message: String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "missing-field", "is required")
        case .valueNotFound(_, let context):
            return (path(context.codingPath), "null-value", "must not be null")
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "wrong-type", "must be \(readable(type))")
        case .dataCorrupted(let context):
            let text = context.debugDescription
            let field = path(context.codingPath)
            if text.contains("does not fit") || text.contains("Parsed JSON number") { return (field, "wrong-type", "must be a whole number") }
            if text.contains("unknown field") { return (field, "unknown-field", text) }
            if text.contains("longer than") || text.contains("more than") { return (field, "too-long", text) }
            return (field, "invalid-value", context.codingPath.isEmpty ? "the body is not the JSON object this request takes" : text)
        @unknown default:
            return ("", "invalid-value", "the body cannot be read")
        }
    }

    static func readable(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of strings"
        default: String(describing: type).hasPrefix("Array") ? "a list" : "an object"
        }
    }
}

/// A coding key for any member name, to find the ones a type does not know.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// A keyed container that refuses any member `Keys` does not name.
    func strictContainer<Keys: CodingKey>(keyedBy keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        let all = try container(keyedBy: AnyCodingKey.self)
        for key in all.allKeys where Keys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "is not a field of this entry (unknown field)"))
        }
        return try container(keyedBy: Keys.self)
    }
}

extension KeyedDecodingContainer {
    /// A required, non-empty string of at most `maximum` characters.
    func text(_ key: Key, maximum: Int) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard !value.isEmpty else { throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "must not be empty")) }
        return try limited(value, key, maximum)
    }

    /// An optional string: absent is nil, `null` is refused.
    func optionalText(_ key: Key, maximum: Int) throws -> String? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(String.self, .init(codingPath: codingPath + [key], debugDescription: "null"))
        }
        return try limited(try decode(String.self, forKey: key), key, maximum)
    }

    /// An optional whole number, at least `minimum`: absent is nil, `null` is refused.
    func optionalInteger(_ key: Key, minimum: Int = .min) throws -> Int? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(Int.self, .init(codingPath: codingPath + [key], debugDescription: "null"))
        }
        let value = try decode(Int.self, forKey: key)
        guard value >= minimum else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "must be \(minimum) or more"))
        }
        return value
    }

    /// An optional list of strings, each at most `maximum` characters, at most `count` of them.
    func optionalList(_ key: Key, maximum: Int, count: Int) throws -> [String]? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound([String].self, .init(codingPath: codingPath + [key], debugDescription: "null"))
        }
        let values = try decode([String].self, forKey: key)
        guard values.count <= count else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "has more than \(count) items"))
        }
        for value in values { _ = try limited(value, key, maximum) }
        return values
    }

    /// Within `maximum` characters and free of control characters (none of the fields is multi-line).
    private func limited(_ value: String, _ key: Key, _ maximum: Int) throws -> String {
        guard value.count <= maximum else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "is longer than \(maximum) characters"))
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "must not contain control characters"))
        }
        return value
    }
}

/// Request headers the admin API reads.
enum AdminHeaders {
    /// `X-Change-Reason`, at most ``maximumReasonLength`` characters.
    static let maximumReasonLength = 500

    static func reason(_ request: Request) throws(ManagementError) -> String? {
        guard let reason = request.headers[HTTPField.Name("X-Change-Reason")!], !reason.isEmpty else { return nil }
        guard reason.count <= maximumReasonLength else {
            throw ManagementError(status: .badRequest, code: "invalid-header", message: "X-Change-Reason is longer than \(maximumReasonLength) characters")
        }
        return reason
    }
}
