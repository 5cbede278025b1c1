import Foundation
import SwitchboardTesting
import Testing

/// `Docs/consumer-guide.md` lists every error token the proxy can send: each refusal rule in the
/// proxy's sources, and each reason of the target-URL and JWT checks.
@Suite struct ConsumerGuideTests {
    /// The quoted upper-case words (`"DOT_SEGMENT"`, and the fixed part of `"MISSING_CLAIM_\(…)"`)
    /// in `text` after each `marker(`.
    static func reasons(after marker: String, in text: String) -> Set<String> {
        var found = Set<String>()
        var rest = Substring(text)
        while let start = rest.range(of: marker) {
            rest = rest[start.upperBound...]
            let call = rest.prefix { $0 != "\n" }
            for match in call.matches(of: /"([A-Z][A-Z_]*[A-Z_])(\\\(|")/) { found.insert(String(match.1).trimmingCharacters(in: ["_"])) }
        }
        return found
    }

    @Test func everyTokenTheProxyCanSendIsDocumented() throws {
        let sources = Repository.root.appendingPathComponent("Sources/SwitchboardProxy")
        var text = ""
        for case let file as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where file.pathExtension == "swift" {
            text += try String(contentsOf: file, encoding: .utf8) + "\n"
        }
        let guide = try String(contentsOf: Repository.root.appendingPathComponent("Docs/consumer-guide.md"), encoding: .utf8)
        let rules = Set(text.matches(of: /rule: "([A-Z_]+)"/).map { String($0.1) })
        #expect(rules.count > 20, "found \(rules.count) rules")
        for rule in rules.sorted() { #expect(guide.contains(rule), "the consumer guide does not name the refusal \(rule)") }
        let target = Self.reasons(after: "invalidTargetURL(", in: text)
        #expect(target.contains("ENCODING") && target.contains("FRAGMENT"), "\(target)")
        for reason in target.sorted() { #expect(guide.contains("`\(reason)`"), "the consumer guide does not name INVALID_TARGET_URL_\(reason)") }
        // The JWT rules are JWTError's codes (Core); NOT_BEARER is answered as the Authorization header's refusal.
        let validator = try String(contentsOf: Repository.root.appendingPathComponent("Sources/SwitchboardCore/GPConnect/JWTValidator.swift"), encoding: .utf8)
        let jwt = Set(validator.matches(of: /case \.\w+(?:\(let \w+\))?: "([A-Z][A-Z_]*[A-Z])(_\\\(|")/).map { String($0.1) }).subtracting(["NOT_BEARER"])
        #expect(jwt.contains("MISSING_CLAIM") && jwt.contains("EXPIRED") && jwt.count >= 15, "\(jwt)")
        for reason in jwt.sorted() { #expect(guide.contains("`\(reason)"), "the consumer guide does not name INVALID_JWT_\(reason)") }
    }
}
