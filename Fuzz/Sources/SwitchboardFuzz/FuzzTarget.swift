import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy

enum Fixtures {
    /// The slot-search interaction the JWT is checked against.
    static let slotSearch = Interaction(id: InteractionID("urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1")!, name: "Search for free slots",
                                        method: .GET, path: try! PathPattern(validating: "/Slot"), scope: "organization/*.read")
    static let validator = JWTValidator(clockSkewSeconds: 60)
}

/// One input: its first byte chooses what is fuzzed, the rest is the untrusted text. Beyond not
/// crashing, each check asserts what acceptance promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let text = String(decoding: bytes, as: UTF8.self)
    switch data[0] % 4 {
    case 0:
        if let target = try? TargetURL(requestTarget: text) {
            precondition(target.url.hasPrefix("https://"), "accepted a target that is not https")
            precondition(!target.path.split(separator: "/").contains { $0 == ".." || $0 == "." }, "accepted a dot segment")
            precondition(!target.authority.contains("@"), "accepted userinfo")
        }
    case 1:
        if let claims = try? Fixtures.validator.validate(authorization: "Bearer " + text, scope: Fixtures.slotSearch.scope, now: 1_790_000_000) {
            precondition(!claims.audience.isEmpty, "accepted an empty aud")
        }
    case 2:
        var headers = HTTPHeaders()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            // The HTTP decoder only ever hands over token names (ASCII), as NIO requires.
            guard parts.count == 2, parts[0].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else { continue }
            headers.add(name: String(parts[0]), value: String(parts[1].drop { $0 == " " }))
        }
        if (try? SSPHeaders.checkNames(headers)) != nil, let from = try? SSPHeaders.sender(headers), let ssp = try? SSPHeaders(headers, from: from) {
            precondition(ssp.from.rawValue.count == 12 && ssp.to.rawValue.count == 12, "accepted an ASID that is not 12 digits")
        }
    default:
        if let value = JSONValue.parse(bytes) {
            // Whatever is accepted is a document Foundation reads too.
            precondition((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil,
                         "accepted what Foundation refuses")
            _ = value
        }
    }
    return 0
}
