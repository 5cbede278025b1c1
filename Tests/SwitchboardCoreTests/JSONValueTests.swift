import Foundation
import SwitchboardCore
import Testing

/// The strict JSON reader of untrusted token bodies: what it accepts, what it refuses, and that
/// it agrees with Foundation's reader wherever JSON is unambiguous.
@Suite struct JSONValueTests {
    func parse(_ text: String) -> JSONValue? { JSONValue.parse(Array(text.utf8)) }

    @Test func readsEveryKindOfValue() {
        let value = parse(#" { "a" : [1, -2.5e3, 0, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} } "#)
        #expect(value?["a"] == .array([.number(1), .number(-2500), .number(0), .bool(true), .bool(false), .null]))
        #expect(value?["b"]?["c"]?.string == "d\"\\/\u{08}\u{0C}\n\r\té😀")
        #expect(parse("\"plain ünïcödé\"")?.string == "plain ünïcödé")
        #expect(parse("[]") == .array([]))
        #expect(parse("{}") == .object([]))
        #expect(parse("1700000000")?.wholeNumber == 1_700_000_000)
        #expect(parse("1700000000.0")?.wholeNumber == 1_700_000_000)
        #expect(parse("1.5")?.wholeNumber == nil)
        #expect(parse("1e400") == nil, "beyond a Double")
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "01", "-", "1.", ".5", "1e", "+1", "0x10",
        "tru", "nul", "True", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ud83d\\u0041\"", "\"\\udc00\"",
        "\"tab\there\"", "\"new\nline\"", "[1] [2]", "{\"a\":1}x", "// comment\n1", "NaN", "Infinity", "{\"a\":1,\"a\":2}",
    ])
    func refusesWhatIsNotStrictJSON(text: String) {
        #expect(parse(text) == nil)
    }

    @Test func refusesInvalidUTF8() {
        #expect(JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) == nil, "an encoded surrogate")
        #expect(JSONValue.parse([0x22, 0xC3, 0xA9, 0x22])?.string == "é")
    }

    @Test func limitsNestingAndMembers() {
        #expect(parse(String(repeating: "[", count: 16) + String(repeating: "]", count: 16)) != nil)
        #expect(parse(String(repeating: "[", count: 17) + String(repeating: "]", count: 17)) == nil)
        #expect(parse(String(repeating: "[", count: 100_000)) == nil, "no stack overflow on deep input")
        let many = "{" + (0..<257).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        #expect(parse(many) == nil)
    }

    /// Random documents built from JSON's grammar, some of them cut or corrupted: wherever
    /// Foundation reads a document, this reader reads the same value, and it refuses what
    /// Foundation refuses (beyond the documented extra strictness).
    @Test func agreesWithFoundationOnGeneratedDocuments() throws {
        var generator = SeededGenerator(seed: 0x5b0a_2d11)
        var (accepted, refused) = (0, 0)
        for _ in 0..<3_000 {
            var text = Self.document(depth: 0, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0 where !text.isEmpty: text.removeLast(Int.random(in: 1...text.count, using: &generator))
            case 1 where !text.isEmpty:
                var bytes = Array(text.utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = Array(",:[]{}\"\\ 0e-x".utf8).randomElement(using: &generator)!
                text = String(decoding: bytes, as: UTF8.self)
            default: break
            }
            let ours = parse(text)
            if ours == nil { refused += 1 } else { accepted += 1 }
            let foundation = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            if let ours {
                #expect(foundation != nil, "accepted what Foundation refuses: \(text)")
                if let foundation { #expect(Self.same(ours, foundation), "read differently: \(text)") }
            } else if foundation != nil {
                #expect(Self.hasDuplicateKeys(text), "refused what Foundation reads: \(text)")
            }
        }
        #expect(accepted > 1_000 && refused > 500, "the corpus exercises both sides: \(accepted) accepted, \(refused) refused")
    }

    static func same(_ value: JSONValue, _ object: Any) -> Bool {
        switch value {
        case .null: return object is NSNull
        case .bool(let bool): return (object as? Bool) == bool && !(object is Int && !(object is Bool))
        case .number(let number): return (object as? NSNumber).map { $0.doubleValue == number } ?? false
        case .string(let string): return (object as? String) == string
        case .array(let values):
            guard let array = object as? [Any], array.count == values.count else { return false }
            return zip(values, array).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let dictionary = object as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { member in dictionary[member.key].map { same(member.value, $0) } ?? false }
        }
    }

    static func hasDuplicateKeys(_ text: String) -> Bool {
        // Foundation keeps one copy of a repeated member; this reader refuses the document.
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return false }
        func memberCount(_ object: Any) -> Int {
            if let dictionary = object as? [String: Any] { return dictionary.count + dictionary.values.map(memberCount).reduce(0, +) }
            if let array = object as? [Any] { return array.map(memberCount).reduce(0, +) }
            return 0
        }
        return text.filter { $0 == ":" }.count > memberCount(object)
    }

    static func document(depth: Int, using generator: inout SeededGenerator) -> String {
        let strings = ["\"\"", "\"a\"", "\"k\"", "\"caf\\u00e9\"", "\"line\\nbreak\"", "\"quote\\\"\"", "\"ünï\"", "\"\\ud83d\\ude00\""]
        let numbers = ["0", "-0", "7", "-12", "3.25", "1e3", "2E-2", "1700000000", "-0.5e+2"]
        switch depth > 3 ? Int.random(in: 0..<4, using: &generator) : Int.random(in: 0..<6, using: &generator) {
        case 0: return strings.randomElement(using: &generator)!
        case 1: return numbers.randomElement(using: &generator)!
        case 2: return ["true", "false", "null"].randomElement(using: &generator)!
        case 3: return strings.randomElement(using: &generator)!
        case 4:
            let count = Int.random(in: 0..<4, using: &generator)
            return "[" + (0..<count).map { _ in document(depth: depth + 1, using: &generator) }.joined(separator: ", ") + "]"
        default:
            let count = Int.random(in: 0..<4, using: &generator)
            let keys = ["\"a\"", "\"b\"", "\"iss\"", "\"a\""]
            return "{" + (0..<count).map { _ in keys.randomElement(using: &generator)! + ": " + document(depth: depth + 1, using: &generator) }
                .joined(separator: ",") + "}"
        }
    }
}

/// A small deterministic generator (SplitMix64) so generated cases are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
