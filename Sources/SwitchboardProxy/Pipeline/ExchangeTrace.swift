import Foundation
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import Tracing

/// The spans of one exchange, when tracing is on: `exchange` (server) from the request's head to
/// its record, and as its children each admission phase, `forward` (client) for the provider's
/// call, and `audit` for the commit of the record. A W3C `traceparent` the consumer sent is the
/// parent; the provider is sent one naming the `forward` span. Lives on the exchange's event loop.
final class ExchangeTrace {
    private let tracer: any Tracer
    private let root: any Span
    private var upstream: (any Span)?
    private var audit: (any Span)?
    private var ended = false

    init(tracer: any Tracer, head: HTTPRequestHead) {
        self.tracer = tracer
        var parent = ServiceContext.topLevel
        tracer.extract(head.headers, into: &parent, using: HTTPHeadersExtractor())
        root = tracer.startSpan("exchange", context: parent, ofKind: .server)
        root.attributes["http.request.method"] = head.method.rawValue
    }

    /// One admission phase, between two instants already past.
    func phase(_ phase: ExchangePhase, from start: UInt64, to end: UInt64, refusal: ProxyRefusal?) {
        let span = tracer.startSpan(phase.rawValue, context: root.context, ofKind: .internal, at: TraceInstant(nanoseconds: start))
        if let refusal {
            span.attributes["sb.rule"] = refusal.rule
            span.setStatus(SpanStatus(code: .error, message: refusal.token))
        }
        span.end(at: TraceInstant(nanoseconds: end))
    }

    /// The provider's call begins: its span starts and `headers` carry it as `traceparent`.
    func upstreamStarted(_ headers: inout HTTPHeaders, provider: String) {
        let span = tracer.startSpan("forward", context: root.context, ofKind: .client)
        span.attributes["server.address"] = provider
        headers.remove(name: "traceparent")
        headers.remove(name: "tracestate")
        tracer.inject(span.context, into: &headers, using: HTTPHeadersInjector())
        upstream = span
    }

    func upstreamAnswered(status: Int) {
        upstream?.attributes["http.response.status_code"] = status
    }

    func upstreamEnded(error: (any Error)? = nil) {
        if let error { upstream?.recordError(error) }
        upstream?.end()
        upstream = nil
    }

    func auditStarted() {
        guard audit == nil, !ended else { return }
        audit = tracer.startSpan("audit", context: root.context, ofKind: .internal)
    }

    /// The record is complete (or could not be made durable): the open spans end, and the
    /// exchange's span carries what the record says.
    func finish(_ record: ExchangeRecord, durable: Bool) {
        guard !ended else { return }
        ended = true
        upstreamEnded()
        if let audit {
            audit.attributes["sb.audit.durable"] = durable
            audit.end()
        }
        root.attributes["sb.exchange.id"] = record.id.uuidString.lowercased()
        if let trace = record.traceID { root.attributes["sb.trace.id"] = trace }
        root.attributes["sb.node"] = record.node
        if let from = record.fromASID { root.attributes["sb.from.asid"] = from.rawValue }
        if let to = record.toASID { root.attributes["sb.to.asid"] = to.rawValue }
        if let interaction = record.interaction { root.attributes["sb.interaction"] = interaction.rawValue }
        if let provider = record.toODS { root.attributes["sb.to.ods"] = provider.rawValue }
        root.attributes["sb.outcome"] = record.outcome.rawValue
        if let status = record.status { root.attributes["http.response.status_code"] = status }
        if let rule = record.refusalRule {
            root.attributes["sb.rule"] = rule
            root.setStatus(SpanStatus(code: .error, message: rule))
        }
        root.end()
    }
}

/// A moment in nanoseconds since 1970, as the tracer counts.
struct TraceInstant: TracerInstant {
    var nanosecondsSinceEpoch: UInt64

    init(nanoseconds: UInt64) {
        nanosecondsSinceEpoch = nanoseconds
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }

    static var now: Self { Self(nanoseconds: DefaultTracerClock.now.nanosecondsSinceEpoch) }
}

private struct HTTPHeadersExtractor: Extractor {
    func extract(key: String, from carrier: HTTPHeaders) -> String? {
        carrier.first(name: key)
    }
}

private struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}
