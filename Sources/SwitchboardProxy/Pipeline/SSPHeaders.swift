import Foundation
public import NIOHTTP1
public import SwitchboardCore

/// The SSP request headers of one exchange, each checked for its form.
public struct SSPHeaders: Sendable, Hashable {
    public static let traceID = "Ssp-TraceID"
    public static let from = "Ssp-From"
    public static let to = "Ssp-To"
    public static let interactionID = "Ssp-InteractionID"
    public static let authorization = "Authorization"
    /// Headers that must appear at most once; a second copy is a refusal, not a choice.
    static let singletons = [traceID, from, to, interactionID, authorization, "X-Correlation-ID", "Host", "Content-Length"]
    static let lowercasedSingletons = singletons.map { $0.lowercased() }
    static let lookalikeTargets: Set<String> = Set([traceID, from, to, interactionID, authorization].map { $0.lowercased() })

    public var traceID: String
    public var from: ASID
    public var to: ASID
    public var interaction: InteractionID
    /// The whole `Authorization` value.
    public var authorization: String
    /// `X-Correlation-ID` when the consumer sent a usable one.
    public var correlationID: String?

    /// Refuses duplicated singleton headers and names that imitate an SSP header with `_`.
    public static func checkNames(_ headers: HTTPHeaders) throws(ProxyRefusal) {
        for (name, lowercase) in zip(singletons, lowercasedSingletons) {
            var count = 0
            for (field, _) in headers where HeaderRules.named(field, lowercase) { count += 1 }
            if count > 1 { throw .duplicateHeader(name) }
        }
        for (name, _) in headers where name.utf8.contains(UInt8(ascii: "_")) {
            if lookalikeTargets.contains(name.lowercased().replacingOccurrences(of: "_", with: "-")) {
                throw .lookalikeHeader(name)
            }
        }
    }

    /// Reads `Ssp-From` alone: identify checks the client certificate against it before
    /// anything else is validated.
    public static func sender(_ headers: HTTPHeaders) throws(ProxyRefusal) -> ASID {
        guard let text = headers.first(name: from), let asid = ASID(text) else { throw .invalidHeader(from) }
        return asid
    }

    /// The consumer's `Ssp-TraceID` when it sent exactly one and it is a UUID: read before any
    /// check, so that whatever refuses the exchange later, its record and its answer carry it.
    public static func singleValidTraceID(_ headers: HTTPHeaders) -> String? {
        let values = headers[traceID]
        guard values.count == 1, let value = values.first, isTraceID(value) else { return nil }
        return value
    }

    static func isTraceID(_ text: String) -> Bool {
        UUID(uuidString: text) != nil || isBracedUUID(text)
    }

    /// Reads and checks the remaining SSP headers. `traceID` is the one ``singleValidTraceID(_:)``
    /// already read from these headers, if it found one; it is not read again.
    public init(_ headers: HTTPHeaders, from sender: ASID, traceID known: String? = nil) throws(ProxyRefusal) {
        let trace: String
        if let known {
            trace = known
        } else {
            guard let first = headers.first(name: Self.traceID), Self.isTraceID(first) else { throw .invalidHeader(Self.traceID) }
            trace = first
        }
        guard let toText = headers.first(name: Self.to), let receiver = ASID(toText) else { throw .invalidHeader(Self.to) }
        guard let interactionText = headers.first(name: Self.interactionID), let interaction = InteractionID(interactionText) else {
            throw .invalidHeader(Self.interactionID)
        }
        guard let authorization = headers.first(name: Self.authorization), !authorization.isEmpty else {
            throw .invalidHeader(Self.authorization)
        }
        self.traceID = trace
        self.from = sender
        self.to = receiver
        self.interaction = interaction
        self.authorization = authorization
        if let correlation = headers.first(name: "X-Correlation-ID"), Self.isUsableCorrelationID(correlation) {
            correlationID = correlation
        }
    }

    private static func isBracedUUID(_ text: String) -> Bool {
        text.hasPrefix("{") && text.hasSuffix("}") && UUID(uuidString: String(text.dropFirst().dropLast())) != nil
    }

    /// Visible ASCII, at most 200 characters.
    static func isUsableCorrelationID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200 && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
