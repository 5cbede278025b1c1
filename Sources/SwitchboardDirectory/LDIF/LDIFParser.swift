import Foundation

/// One content record of an LDIF file (RFC 2849): its DN, the line it starts on, and its
/// attributes (names lower-cased, values in file order).
public struct LDIFRecord: Hashable, Sendable {
    public var dn: String
    public var line: Int
    public var attributes: [String: [String]]

    /// All values of an attribute, whatever case the file spelled its name in.
    public subscript(_ name: String) -> [String] { attributes[name.lowercased()] ?? [] }

    /// The first value of an attribute.
    public func first(_ name: String) -> String? { self[name].first }

    /// Whether the record has this object class (compared without case).
    public func isA(_ objectClass: String) -> Bool {
        self["objectClass"].contains { $0.caseInsensitiveCompare(objectClass) == .orderedSame }
    }
}

/// A line of an LDIF file that cannot be read.
public struct LDIFError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Reads LDIF content records: comments, folded lines, `name: value`, `name:: base64`,
/// multi-valued attributes, blank-line separated records. Change records and URL values
/// (`name:< url`) are refused: an SDS export has neither.
public enum LDIFParser {
    public static func parse(_ text: String) throws(LDIFError) -> [LDIFRecord] {
        // Unfold: a line starting with one space continues the previous line.
        var logical: [(line: Int, text: String)] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.hasPrefix(" ") {
                guard let last = logical.last, !last.text.isEmpty else {
                    throw LDIFError(line: lineNumber, message: "a continuation line (starting with a space) must follow an attribute line")
                }
                if last.text.hasPrefix("#") { continue }
                logical[logical.count - 1].text += line.dropFirst()
            } else {
                logical.append((lineNumber, line))
            }
        }

        var records: [LDIFRecord] = []
        var current: LDIFRecord?
        func finish() {
            if let record = current { records.append(record) }
            current = nil
        }
        for (number, line) in logical {
            if line.isEmpty { finish(); continue }
            if line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw LDIFError(line: number, message: "expected 'attribute: value'")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == ";" }) else {
                throw LDIFError(line: number, message: "'\(name)' is not an attribute name")
            }
            var rest = line[line.index(after: colon)...]
            let value: String
            if rest.hasPrefix(":") {
                rest = rest.dropFirst().drop(while: { $0 == " " })
                guard let data = Data(base64Encoded: String(rest)), let decoded = String(data: data, encoding: .utf8) else {
                    throw LDIFError(line: number, message: "the base64 value of '\(name)' does not decode to UTF-8 text")
                }
                value = decoded
            } else if rest.hasPrefix("<") {
                throw LDIFError(line: number, message: "URL values ('\(name):<') are not supported")
            } else {
                value = String(rest.drop(while: { $0 == " " }))
            }
            let key = name.lowercased()
            if current == nil {
                if key == "version" && records.isEmpty {
                    guard value == "1" else { throw LDIFError(line: number, message: "only LDIF version 1 is supported") }
                    continue
                }
                guard key == "dn" else { throw LDIFError(line: number, message: "a record must begin with 'dn:'") }
                current = LDIFRecord(dn: value, line: number, attributes: [:])
                continue
            }
            if key == "changetype" {
                throw LDIFError(line: number, message: "change records are not supported; export content records only")
            }
            if key == "dn" { throw LDIFError(line: number, message: "a second 'dn:' in one record; separate records with a blank line") }
            current!.attributes[key, default: []].append(value)
        }
        finish()
        return records
    }
}
