import NIOCore
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore

/// Patient: finds the NHS number a request names — in its URL once admitted (Find patient's
/// `identifier=…nhs-number|…`), in its JSON body once read (a booking's participant or a
/// registered patient's identifier) — and records its keyed hash (``NHSNumberKey``), never the
/// number. Without a key it does nothing (the recorded URL has its numbers removed either way).
struct PatientPhase: Sendable {
    let key: NHSNumberKey?

    /// A body larger than this is not kept for reading (a booking or registration is a few KB):
    /// an exchange never holds more than this of its request for the look-up.
    static let maximumBodyBytes = 1 << 20

    /// Records the look-up of the NHS number the admitted request's URL names.
    func run(_ context: inout ExchangeContext) {
        guard let key, let number = context.nhsNumber else { return }
        context.record.nhsNumberHMAC = key.lookUp(number)
    }

    /// Whether the body of the admitted request is read for an NHS number: a JSON body sent to
    /// create or change something, when the URL named none.
    func readsBody(of context: ExchangeContext) -> Bool {
        guard key != nil, context.record.nhsNumberHMAC == nil, context.head.method == .POST || context.head.method == .PUT else { return false }
        let type = context.head.headers.first(name: "content-type") ?? ""
        return type.isEmpty || type.lowercased().contains("json")
    }

    /// Records the look-up of the first NHS number identifier in the whole request body.
    func read(body: ByteBuffer, into context: inout ExchangeContext) {
        guard let key, let document = body.withUnsafeReadableBytes({ JSONValue.parse($0.bindMemory(to: UInt8.self), maximumDepth: 32) }),
              let number = NHSNumberText.identifiers(in: document).first else { return }
        context.record.nhsNumberHMAC = key.lookUp(number)
    }
}
