import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory

/// One exchange, taken through the phases on its consumer connection's event loop: the local
/// answers, admission (identify, validate, authorise, route, throttle), then open, forward and
/// respond, and always last the audit step that completes the record before the answer ends.
final class Exchange: ProviderAnswerReceiver {
    private let service: ExchangeService
    private let connection: ConsumerConnection
    private let eventLoop: any EventLoop
    private var context: ExchangeContext
    private var keepAlive: Bool
    /// The request's end has been read.
    private(set) var requestEnded = false
    /// The audit step has begun: nothing else may answer or record.
    private var auditing = false
    private var body: RequestFraming.Body = .none
    private var bridge: RequestBodyBridge?
    private var bytesIn: Int64 = 0
    private var requestHash = SHA256()
    /// The request body, kept (within the body limit) when the patient phase reads it.
    private var patientBody: ByteBuffer?
    private var upstream: ProviderCall?
    private var responseTimer: Scheduled<Void>?
    private var response: RespondPhase?
    private var upstreamStarted = ContinuousClock.now
    /// The exchange's spans, when tracing is on.
    private var trace: ExchangeTrace?

    init(head: HTTPRequestHead, client: ClientIdentity, service: ExchangeService, connection: ConsumerConnection,
         eventLoop: any EventLoop, keepAlive: Bool) {
        self.service = service
        self.connection = connection
        self.eventLoop = eventLoop
        self.keepAlive = keepAlive
        context = ExchangeContext(id: .timeOrdered(), node: service.settings.node, head: head, client: client, snapshot: service.directory.snapshot)
    }

    var isBackedUp: Bool { bridge?.isBackedUp ?? false }
    private var exchangeID: String { context.exchangeID }
    private var target: String { context.target?.url ?? "" }

    // MARK: Admission

    func start() {
        let head = context.head
        let framing = Result { () throws(ProxyRefusal) in try RequestFraming.check(head, maxBodyBytes: service.settings.maxBodyBytes) }
        let bodiless = (try? framing.get()) == RequestFraming.Body.none
        if StatusAnswer.matches(head) {
            return answer(StatusAnswer.answer(head, body: service.settings.statusBody, keepAlive: keepAlive), recorded: false)
        }
        if let tracer = service.tracer { trace = ExchangeTrace(tracer: tracer, head: head) }
        do throws(ProxyRefusal) {
            if bodiless, DiscoveryAnswer.matches(head),
               let answer = try DiscoveryAnswer.answer(&context, proxyHost: service.settings.proxyHost, keepAlive: keepAlive) {
                return self.answer(answer, recorded: true)
            }
            if bodiless, let origin = CORSPolicy.preflightOrigin(head) {
                let traceID = context.responseTraceID
                return answer(try service.cors.preflight(origin: origin, request: head, exchangeID: exchangeID, traceID: traceID, keepAlive: keepAlive),
                              recorded: true)
            }
            body = try framing.get()
            if let trace {
                try service.pipeline.admit(&context) { phase, start, end, refusal in trace.phase(phase, from: start, to: end, refusal: refusal) }
            } else {
                try service.pipeline.admit(&context)
            }
        } catch {
            // A body that will not be read leaves the connection's framing unknown.
            if !bodiless { keepAlive = false }
            return refuse(error)
        }
        service.patient.run(&context)
        if body != .none {
            if service.patient.readsBody(of: context) { patientBody = ByteBuffer() }
            let bridge = RequestBodyBridge()
            bridge.onDrained = { [connection] in connection.resumeReading() }
            self.bridge = bridge
        }
        service.audit.open(context.record, on: eventLoop) { opened in
            guard !self.auditing else { return }
            guard opened else {
                if !self.requestEnded { self.keepAlive = false }
                return self.refuse(.auditUnavailable, record: false)
            }
            self.forward()
        }
    }

    // MARK: The consumer's request

    func receive(_ part: HTTPServerRequestPart) {
        switch part {
        case .head:
            requestBroke(.malformedRequest)
        case .body(let chunk):
            guard !auditing else { return }
            bytesIn += Int64(chunk.readableBytes)
            guard bytesIn <= Int64(service.settings.maxBodyBytes) else { return requestBroke(.bodyTooLarge) }
            chunk.withUnsafeReadableBytes { requestHash.update(bufferPointer: $0) }
            if let kept = patientBody?.readableBytes {
                if kept + chunk.readableBytes <= PatientPhase.maximumBodyBytes { patientBody?.writeImmutableBuffer(chunk) } else { patientBody = nil }
            }
            bridge?.append(chunk)
        case .end:
            requestEnded = true
            if let patientBody, !auditing {
                service.patient.read(body: patientBody, into: &context)
                self.patientBody = nil
            }
            bridge?.finish()
        }
    }

    /// The request can no longer be read (bad framing, too large): the provider's request is cut
    /// off unfinished, the consumer told why, and the connection closed.
    func requestBroke(_ refusal: ProxyRefusal) {
        keepAlive = false
        defer { stopUpstream(refusal) }
        guard !auditing else { return }
        guard response?.headSent == true else { return refuse(refusal) }
        noteBodies()
        refusal.mark(&context.record)
        complete(refusal.outcome, status: refusal.status) { _ in self.connection.exchangeEnded(keepAlive: false) }
    }

    /// The consumer went away: the upstream request is cancelled and the exchange recorded `499`.
    func consumerClosed() {
        defer { stopUpstream(CancellationError()) }
        guard !auditing else { return }
        noteBodies()
        complete(.clientClosed, status: 499) { _ in }
    }

    /// Cuts the provider's request off. Called once the exchange's outcome is settled, because
    /// cancelling reports an error back to ``providerFailed(_:)`` at once.
    private func stopUpstream(_ reason: any Error) {
        bridge?.fail(reason)
        upstream?.cancel()
    }

    func consumerWritable() {
        upstream?.resumeReading()
    }

    // MARK: Forward and respond

    private func forward() {
        var request: UpstreamRequest
        do {
            request = try service.forward.request(context, body: body)
        } catch {
            keepAlive = keepAlive && requestEnded
            return refuse(.upstreamUnreachable(target))
        }
        trace?.upstreamStarted(&request.head.headers, provider: request.origin.host)
        if bridge != nil && ForwardPhase.expectsContinue(context.head) {
            connection.write([.head(HTTPResponseHead(version: context.head.version, status: .continue))])
        }
        upstreamStarted = .now
        responseTimer = eventLoop.assumeIsolated().scheduleTask(in: service.upstream.responseTimeout) {
            self.providerFailed(UpstreamError.responseTimeout)
        }
        upstream = service.upstream.execute(request, body: bridge, receiver: self, on: eventLoop)
    }

    func providerAnswered(_ head: HTTPResponseHead) {
        guard !auditing else { return }
        responseTimer?.cancel()
        context.record.upstreamMicroseconds = upstreamStarted.duration(to: .now).microseconds
        trace?.upstreamAnswered(status: Int(head.status.code))
        if !requestEnded { keepAlive = false }
        response = RespondPhase(providerHead: head, context: &context, cors: service.cors, keepAlive: keepAlive)
    }

    /// Sends what may go now; returns whether the consumer can take more at once.
    func providerSent(_ chunk: ByteBuffer) -> Bool {
        guard !auditing, response != nil else { return true }
        connection.write(response!.receive(chunk))
        return connection.isWritable
    }

    func providerFinished() {
        guard !auditing, var response else { return }
        trace?.upstreamEnded()
        noteBodies()
        complete(.forwarded, status: response.status) { durable in
            if durable {
                self.connection.write(response.finish())
                self.connection.exchangeEnded(keepAlive: self.keepAlive)
            } else if response.headSent {
                // Not durable, so the answer's end is never sent: the consumer sees it cut short.
                self.context.record.refusalPhase = ExchangePhase.audit.rawValue
                self.context.record.refusalRule = ProxyRefusal.auditUnavailable.rule
                self.service.audit.recorder.deferUntilRecovered(self.context.record)
                self.connection.exchangeEnded(keepAlive: false)
            } else {
                self.answerAuditUnavailable()
            }
        }
    }

    func providerFailed(_ error: any Error) {
        guard !auditing else { return }
        trace?.upstreamEnded(error: error)
        defer { stopUpstream(error) }
        noteBodies()
        guard let response, response.headSent else {
            let refusal = ForwardPhase.refusal(for: error, target: target)
            service.logger.notice("exchange failed upstream", metadata: [LogKey.exchangeID: "\(exchangeID)", LogKey.error: "\(error)",
                                                                         LogKey.status: "\(refusal.status)"])
            keepAlive = false
            return refuse(refusal)
        }
        // The head has gone: the consumer learns of the failure from a truncated message.
        service.logger.notice("provider broke the response body; closing without its end",
                              metadata: [LogKey.exchangeID: "\(exchangeID)", LogKey.error: "\(error)"])
        context.record.refusalPhase = ExchangePhase.respond.rawValue
        context.record.refusalRule = "UPSTREAM_BODY_INCOMPLETE"
        complete(.upstreamFailed, status: response.status) { _ in self.connection.exchangeEnded(keepAlive: false) }
    }

    // MARK: Answers and the audit step

    private func noteBodies() {
        context.record.bytesIn = bytesIn
        if bytesIn > 0 { context.record.requestBodySHA256 = Hex.encode(requestHash.finalize()) }
        if let response {
            context.record.bytesOut = response.bytesOut
            context.record.responseBodySHA256 = response.bodySHA256
        }
    }

    /// The final step: completes the record; `then` learns whether it is durable.
    private func complete(_ outcome: ExchangeRecord.Outcome, status: Int, then: @escaping (Bool) -> Void) {
        auditing = true
        responseTimer?.cancel()
        guard let trace else { return service.audit.complete(&context, outcome: outcome, status: status, on: eventLoop, done: then) }
        trace.auditStarted()
        service.audit.complete(&context, outcome: outcome, status: status, on: eventLoop) { durable in
            trace.finish(self.context.record, durable: durable)
            then(durable)
        }
    }

    /// Answers with a refusal once its record is durable (`record: false` when the store is down).
    private func refuse(_ refusal: ProxyRefusal, record: Bool = true) {
        refusal.mark(&context.record)
        let answer = refusal.answer(exchangeID: exchangeID, traceID: context.responseTraceID, request: context.head, cors: service.cors,
                                    keepAlive: keepAlive)
        guard record else {
            auditing = true
            service.audit.deferAnswered(refusal, context: &context)
            trace?.finish(context.record, durable: false)
            return self.answer(answer, recorded: false)
        }
        complete(refusal.outcome, status: refusal.status) { durable in
            durable ? self.answer(answer, recorded: false) : self.answerAuditUnavailable()
        }
    }

    /// Writes an answer Switchboard makes itself; a `recorded` one after its record is durable.
    private func answer(_ answer: ProxyAnswer, recorded: Bool) {
        guard recorded else {
            connection.write(answer)
            return connection.exchangeEnded(keepAlive: answer.keepAlive)
        }
        complete(.answered, status: Int(answer.head.status.code)) { durable in
            durable ? self.answer(answer, recorded: false) : self.answerAuditUnavailable()
        }
    }

    private func answerAuditUnavailable() {
        keepAlive = false
        connection.write(ProxyRefusal.auditUnavailable.answer(exchangeID: exchangeID, traceID: context.responseTraceID, request: context.head,
                                                              cors: service.cors, keepAlive: false))
        service.audit.deferAnswered(.auditUnavailable, context: &context)
        trace?.finish(context.record, durable: false)
        connection.exchangeEnded(keepAlive: false)
    }
}
