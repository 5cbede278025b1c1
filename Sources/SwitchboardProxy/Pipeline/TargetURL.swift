import SwitchboardCore

/// The provider URL a consumer addressed, taken from an SSP-form request target
/// (`/https://provider/fhir-base/request`) and normalised as RFC 3986 allows: percent-encoded
/// unreserved characters are decoded, other percent-encodings upper-cased. What is checked
/// against the directory is exactly what is forwarded.
public struct TargetURL: Hashable, Sendable {
    /// `https://host[:port]/path[?query]`, normalised.
    public let url: String
    /// `host[:port]` as written.
    public let authority: Substring
    /// The normalised path (begins with `/`, or is empty).
    public let path: Substring
    /// The query without `?`, when there is one.
    public let query: Substring?

    /// Parses a request target. Refusals name the broken rule, e.g. `INVALID_TARGET_URL_DOT_SEGMENT`.
    ///
    /// With `acceptingCollapsedScheme`, `/https:/host/…` is read as `/https://host/…`: generic
    /// FHIR clients that join relative paths by RFC 3986 rules (Python's `urljoin`, SMART's
    /// `fhirclient`) collapse the `//` of a base such as `https://proxy/https://practice/fhir/`,
    /// and the collapsed form cannot mean anything else. Every other check still applies.
    public init(requestTarget original: String, acceptingCollapsedScheme: Bool = false) throws(ProxyRefusal) {
        let scheme = "/https://"
        var target = original
        if acceptingCollapsedScheme, !target.hasPrefix(scheme), target.hasPrefix("/https:/") {
            target = scheme + target.dropFirst("/https:/".count)
        }
        guard target.hasPrefix(scheme) else {
            if target.hasPrefix("/http://") { throw .invalidTargetURL("NOT_HTTPS") }
            throw .invalidTargetURL("NOT_SSP_FORM")
        }
        for byte in target.utf8 where !Self.isAllowed(byte) {
            throw .invalidTargetURL(byte == UInt8(ascii: "#") ? "FRAGMENT" : "CHARACTERS")
        }
        let rest = target.utf8.dropFirst(scheme.utf8.count)
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        let authority = Substring(target.utf8[rest.startIndex..<authorityEnd])
        guard !authority.isEmpty else { throw .invalidTargetURL("NO_HOST") }
        guard !authority.contains("@") else { throw .invalidTargetURL("USERINFO") }
        guard !authority.contains("%") else { throw .invalidTargetURL("ENCODED_HOST") }

        let afterAuthority = target.utf8[authorityEnd...]
        let queryStart = afterAuthority.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = Substring(target.utf8[authorityEnd..<(queryStart ?? target.utf8.endIndex)])
        let query = queryStart.map { Substring(target.utf8[target.utf8.index(after: $0)...]) }

        var path = ""
        path.reserveCapacity(rawPath.utf8.count)
        var bytes = rawPath.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else {
                path.unicodeScalars.append(Unicode.Scalar(byte))
                continue
            }
            guard let high = bytes.next().flatMap(Self.hexValue), let low = bytes.next().flatMap(Self.hexValue) else {
                throw .invalidTargetURL("PERCENT_ENCODING")
            }
            let decoded = high << 4 | low
            if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") { throw .invalidTargetURL("ENCODED_SLASH") }
            if Self.isUnreserved(decoded) {
                path.unicodeScalars.append(Unicode.Scalar(decoded))
            } else {
                path += "%" + String(decoded, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        if !path.isEmpty {
            for segment in path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
                if segment.isEmpty { throw .invalidTargetURL("EMPTY_SEGMENT") }
                if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) { throw .invalidTargetURL("DOT_SEGMENT") }
            }
        }
        if let query {
            var iterator = query.utf8.makeIterator()
            while let byte = iterator.next() {
                guard byte == UInt8(ascii: "%") else { continue }
                guard iterator.next().flatMap(Self.hexValue) != nil, iterator.next().flatMap(Self.hexValue) != nil else {
                    throw .invalidTargetURL("PERCENT_ENCODING")
                }
            }
        }
        // Percent-encoded bytes must spell UTF-8 text, as RFC 3987 and FHIR expect; anything
        // else is a way to smuggle bytes past the checks above.
        guard Self.decodesToUTF8(rawPath.utf8), query.map({ Self.decodesToUTF8($0.utf8) }) ?? true else {
            throw .invalidTargetURL("ENCODING")
        }
        var url = "https://" + authority + path
        if let query { url += "?" + query }
        self.url = url
        let pathStart = url.utf8.index(url.utf8.startIndex, offsetBy: 8 + authority.utf8.count)
        let pathEnd = url.utf8.index(pathStart, offsetBy: path.utf8.count)
        self.authority = Substring(url.utf8[url.utf8.index(url.utf8.startIndex, offsetBy: 8)..<pathStart])
        self.path = Substring(url.utf8[pathStart..<pathEnd])
        self.query = query.map { _ in Substring(url.utf8[url.utf8.index(after: pathEnd)...]) }
    }

    /// Whether the text, with every `%XX` decoded, is valid UTF-8 (the encodings were checked).
    static func decodesToUTF8(_ text: Substring.UTF8View) -> Bool {
        guard text.contains(UInt8(ascii: "%")) else { return true }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return false }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// RFC 3986 `unreserved`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        CharacterRules.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    /// Bytes RFC 3986 allows in a URI (unreserved, gen-delims but `#`, sub-delims, `%`).
    static func isAllowed(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "@"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
