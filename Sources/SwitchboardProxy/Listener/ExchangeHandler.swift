import NIOConcurrencyHelpers
import SwiftASN1
import AsyncAlgorithms
import AsyncHTTPClient
import Atomics
import Crypto
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
public import SwitchboardAudit
import SwitchboardCore
public import SwitchboardDirectory
import X509

/// Serves consumer connections: reads each request, runs the admission phases, forwards what
/// they admit, streams the answer back, and records exactly one audit record per exchange.
public final class ExchangeHandler: Sendable {
    public struct Settings: Sendable {
        public var node: String
        /// How this proxy names itself in `Forwarded: host=`.
        public var proxyHost: String
        public var maxBodyBytes: Int
        public var allowedOrigins: Set<String>
        /// The JSON `GET /_status` answers: liveness, this node and the build it runs.
        public var statusBody: String

        public init(node: String, proxyHost: String, maxBodyBytes: Int, allowedOrigins: Set<String>, statusBody: String = #"{"status":"ok"}"#) {
            self.node = node
            self.proxyHost = proxyHost
            self.maxBodyBytes = maxBodyBytes
            self.allowedOrigins = allowedOrigins
            self.statusBody = statusBody
        }
    }

    let settings: Settings
    let pipeline: ExchangePipeline
    let directory: DirectorySnapshotHolder
    let upstream: UpstreamClient
    let recorder: any ExchangeRecorder
    let metrics: ProxyMetrics?
    let logger: Logger
    private let shuttingDown = ManagedAtomic(false)
    /// Open connections and whether each is in the middle of an exchange.
    private let connections = NIOLockedValueBox<[ObjectIdentifier: (channel: any Channel, busy: Bool)]>([:])

    public init(settings: Settings, pipeline: ExchangePipeline, directory: DirectorySnapshotHolder, upstream: UpstreamClient,
                recorder: any ExchangeRecorder, metrics: ProxyMetrics? = nil, logger: Logger) {
        self.settings = settings
        self.pipeline = pipeline
        self.directory = directory
        self.upstream = upstream
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
    }

    /// Open consumer connections.
    public var openConnections: Int { connections.withLockedValue { $0.count } }

    /// Stops taking new exchanges: idle connections close now, busy ones after their answer
    /// (which says `Connection: close`).
    func beginShutdown() {
        shuttingDown.store(true, ordering: .relaxed)
        let idle = connections.withLockedValue { $0.values.filter { !$0.busy }.map(\.channel) }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Closes every connection still open (the shutdown grace period is over).
    func closeAllConnections() {
        for channel in connections.withLockedValue({ $0.values.map(\.channel) }) { channel.close(promise: nil) }
    }

    private func mark(_ channel: any Channel, busy: Bool) {
        connections.withLockedValue { $0[ObjectIdentifier(channel)] = (channel, busy) }
    }

    typealias Inbound = NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    /// Serves one connection until it closes. When the consumer goes away mid-exchange the
    /// exchange's task is cancelled, which cancels its upstream request.
    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, identity: ConnectionIdentityBox) async {
        let channel = connection.channel
        mark(channel, busy: false)
        defer { connections.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) } }
        if shuttingDown.load(ordering: .relaxed) {
            try? await channel.close()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await connection.executeThenClose { inbound, outbound in
                        try await self.serveExchanges(inbound: inbound, outbound: outbound, channel: channel, identity: identity)
                    }
                } catch {
                    self.logger.debug("connection ended", metadata: [LogKey.error: "\(error)"])
                }
            }
            group.addTask { try? await channel.closeFuture.get() }
            await group.next()
            group.cancelAll()
        }
    }

    private func serveExchanges(inbound: NIOAsyncChannelInboundStream<HTTPServerRequestPart>, outbound: Outbound, channel: any Channel,
                                identity: ConnectionIdentityBox) async throws {
        var requests = RequestReader(iterator: inbound.makeAsyncIterator())
        var client: ClientIdentity?
        while !Task.isCancelled {
            mark(channel, busy: false)
            if shuttingDown.load(ordering: .relaxed) { return }
            let part: HTTPServerRequestPart?
            do {
                part = try await requests.next()
            } catch let error as HTTPParserError {
                let refusal: ProxyRefusal = error == .headerOverflow ? .headersTooLarge : .malformedRequest
                let identityNow = client ?? Self.clientIdentity(channel: channel, identity: identity)
                await refuseUnparsable(refusal, outbound: outbound, client: identityNow)
                return
            } catch let unknown as UnknownMethod {
                // The parser stopped at the method, so nothing after it can be read: answered and closed.
                let identityNow = client ?? Self.clientIdentity(channel: channel, identity: identity)
                await refuseUnparsable(.methodNotAllowed(unknown.token), method: String(unknown.token.prefix(16)), outbound: outbound, client: identityNow)
                return
            } catch {
                // A failed handshake or a reset connection: no HTTP exchange took place.
                logger.debug("connection failed before a request", metadata: [LogKey.error: "\(error)"])
                return
            }
            guard case .head(let head)? = part else { return }
            mark(channel, busy: true)
            if client == nil { client = Self.clientIdentity(channel: channel, identity: identity) }
            let keepAlive = await exchange(head: head, requests: &requests, outbound: outbound, client: client!)
            guard keepAlive else { return }
        }
    }

    // MARK: One exchange

    /// Handles one request; returns whether the connection may carry another.
    private func exchange(head: HTTPRequestHead, requests: inout RequestReader, outbound: Outbound, client: ClientIdentity) async -> Bool {
        var keepAlive = head.isKeepAlive && !shuttingDown.load(ordering: .relaxed)
        if let local = await answerLocally(head: head, requests: &requests, outbound: outbound, keepAlive: keepAlive, client: client) {
            return local
        }
        var context = ExchangeContext(id: .timeOrdered(), node: settings.node, head: head, client: client, snapshot: directory.snapshot)
        var logger = self.logger
        logger[metadataKey: LogKey.exchangeID] = "\(context.record.id.uuidString.lowercased())"

        let body: RequestFraming.Body
        do {
            body = try RequestFraming.check(head, maxBodyBytes: settings.maxBodyBytes)
            try pipeline.admit(&context)
        } catch {
            let pending = (try? RequestFraming.check(head, maxBodyBytes: Int.max)) ?? .chunked
            if pending == .none { _ = try? await requests.next() } else { keepAlive = false }
            await refuse(error, context: &context, outbound: outbound, keepAlive: keepAlive, logger: logger)
            return keepAlive && !error.closesConnection
        }
        logger[metadataKey: LogKey.traceID] = "\(context.headers?.traceID ?? "")"

        do {
            try await recorder.open(context.record)
        } catch {
            logger.error("audit store refused to open a record; answering 503", metadata: [LogKey.error: "\(error)"])
            if body == .none { _ = try? await requests.next() } else { keepAlive = false }
            await refuse(.auditUnavailable, context: &context, outbound: outbound, keepAlive: keepAlive, logger: logger, record: false)
            deferAnswered(.auditUnavailable, context: &context)
            return keepAlive
        }
        return await forward(&context, body: body, requests: &requests, outbound: outbound, keepAlive: keepAlive, logger: logger)
    }

    /// Forwards an admitted exchange and streams the answer back.
    private func forward(_ context: inout ExchangeContext, body: RequestFraming.Body, requests: inout RequestReader, outbound: Outbound,
                         keepAlive: Bool, logger: Logger) async -> Bool {
        let target = context.target!.url
        var request = HTTPClientRequest(url: target)
        request.method = context.head.method
        request.headers = HeaderRules.upstreamRequestHeaders(
            from: context.head.headers, clientAddress: context.client.address, proxyHost: settings.proxyHost,
            exchangeID: context.record.id.uuidString.lowercased(), correlationID: context.correlationID ?? context.record.id.uuidString.lowercased())
        let bodyChannel = body == .none ? nil : AsyncThrowingChannel<ByteBuffer, any Error>()
        if let bodyChannel {
            let length: HTTPClientRequest.Body.Length = if case .length(let bytes) = body { .known(Int64(bytes)) } else { .unknown }
            request.body = .stream(RequestBodyStream(channel: bodyChannel), length: length)
        } else {
            _ = try? await requests.next()
        }
        if context.head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) && bodyChannel != nil {
            try? await outbound.write(.head(HTTPResponseHead(version: context.head.version, status: .continue)))
        }

        let upstreamStart = ContinuousClock.now
        var requestHash = SHA256()
        var bytesIn: Int64 = 0
        var bodyComplete = bodyChannel == nil
        let maxBody = Int64(settings.maxBodyBytes)
        do {
            let response: HTTPClientResponse
            if bodyChannel == nil {
                // Nothing to stream up: no second task needed.
                response = try await upstream.client.execute(request, timeout: upstream.responseTimeout, logger: logger)
            } else {
                response = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
                    let client = upstream.client
                    let deadline = upstream.responseTimeout
                    let outgoing = request
                    group.addTask {
                        do {
                            return try await client.execute(outgoing, timeout: deadline, logger: logger)
                        } catch {
                            bodyChannel?.finish()
                            throw error
                        }
                    }
                    if let bodyChannel {
                        do {
                            while let part = try await requests.next() {
                                switch part {
                                case .body(let chunk):
                                    bytesIn += Int64(chunk.readableBytes)
                                    guard bytesIn <= maxBody else { throw ProxyRefusal.bodyTooLarge }
                                    chunk.withUnsafeReadableBytes { requestHash.update(bufferPointer: $0) }
                                    await bodyChannel.send(chunk)
                                case .end:
                                    bodyComplete = true
                                    bodyChannel.finish()
                                case .head:
                                    throw ProxyRefusal.malformedRequest
                                }
                                if bodyComplete { break }
                            }
                            if !bodyComplete { throw CancellationError() }
                        } catch let error as HTTPParserError where error != .invalidEOFState {
                            // Broken framing mid-body (a bad chunk size): the provider's request is
                            // cut off unfinished and the consumer told why.
                            let refusal: ProxyRefusal = error == .headerOverflow ? .headersTooLarge : .malformedRequest
                            bodyChannel.fail(refusal)
                            throw refusal
                        } catch is HTTPParserError {
                            // The consumer closed mid-body.
                            bodyChannel.fail(CancellationError())
                            throw CancellationError()
                        } catch {
                            bodyChannel.fail(error)
                            throw error
                        }
                    }
                    return try await group.next()!
                }
            }
            context.record.upstreamMicroseconds = upstreamStart.duration(to: .now).microseconds
            context.record.bytesIn = bytesIn
            if bytesIn > 0 { context.record.requestBodySHA256 = requestHash.hex }
            return await relay(response, context: &context, outbound: outbound, keepAlive: keepAlive && bodyComplete, logger: logger)
        } catch {
            bodyChannel?.finish()
            context.record.bytesIn = bytesIn
            if bytesIn > 0 { context.record.requestBodySHA256 = requestHash.hex }
            if Task.isCancelled || (error is CancellationError && !bodyComplete) {
                await complete(&context, outcome: .clientClosed, status: 499, logger: logger)
                return false
            }
            let refusal: ProxyRefusal
            if let own = error as? ProxyRefusal {
                refusal = own
            } else if let clientError = error as? HTTPClientError, clientError == .deadlineExceeded || clientError == .readTimeout {
                refusal = .upstreamTimeout(target)
            } else {
                refusal = .upstreamUnreachable(target)
            }
            logger.notice("exchange failed upstream", metadata: [LogKey.error: "\(error)", LogKey.status: "\(refusal.status)"])
            await refuse(refusal, context: &context, outbound: outbound, keepAlive: false, logger: logger)
            return false
        }
    }

    /// Bytes of a response gathered before any of it is sent: an answer this small goes out in
    /// one write (one TLS record), after its audit record is durable.
    static let gatherLimit = 64 * 1024

    /// Streams the provider's answer to the consumer. Its end — the last bytes, or for an empty
    /// body the whole answer — is held back until the audit record is durable, so a consumer that
    /// has the complete answer can always find its record. Up to ``gatherLimit`` bytes are
    /// gathered before anything is sent, so a small answer is written once, and a provider that
    /// breaks off within them is answered `502` rather than with a cut-short message.
    private func relay(_ response: HTTPClientResponse, context: inout ExchangeContext, outbound: Outbound, keepAlive: Bool, logger: Logger) async -> Bool {
        let exchangeID = context.record.id.uuidString.lowercased()
        var headers = HeaderRules.downstreamResponseHeaders(from: response.headers, exchangeID: exchangeID, traceID: context.headers?.traceID)
        addCORS(&headers, request: context.head)
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.record.responseLocation = response.headers.first(name: "location")
        context.record.responseETag = response.headers.first(name: "etag")
        let status = Int(response.status.code)
        let head = HTTPServerResponsePart.head(HTTPResponseHead(version: context.head.version, status: response.status, headers: headers))
        var responseHash = SHA256()
        var bytesOut: Int64 = 0
        // Received and not yet sent; the last chunk stays here until the record is durable.
        var pending: [HTTPServerResponsePart] = [head]
        var pendingBytes = 0
        var headSent = false
        do {
            for try await chunk in response.body {
                bytesOut += Int64(chunk.readableBytes)
                chunk.withUnsafeReadableBytes { responseHash.update(bufferPointer: $0) }
                pending.append(.body(.byteBuffer(chunk)))
                pendingBytes += chunk.readableBytes
                guard pendingBytes > Self.gatherLimit else { continue }
                let last = pending.removeLast()
                do {
                    try await outbound.write(contentsOf: pending)
                } catch {
                    context.record.bytesOut = bytesOut
                    await complete(&context, outcome: .clientClosed, status: 499, logger: logger)
                    return false
                }
                headSent = true
                pending = [last]
                pendingBytes = chunk.readableBytes
            }
        } catch {
            context.record.bytesOut = bytesOut
            if Task.isCancelled {
                await complete(&context, outcome: .clientClosed, status: 499, logger: logger)
            } else if !headSent {
                let timedOut = (error as? HTTPClientError).map { $0 == .readTimeout || $0 == .deadlineExceeded } ?? false
                let target = context.target!.url
                await refuse(timedOut ? .upstreamTimeout(target) : .upstreamUnreachable(target), context: &context, outbound: outbound,
                             keepAlive: false, logger: logger)
            } else {
                // The head has gone: the consumer learns of the failure from a truncated message.
                logger.notice("provider broke the response body; closing without its end", metadata: [LogKey.error: "\(error)"])
                context.record.refusalPhase = ExchangePhase.respond.rawValue
                context.record.refusalRule = "UPSTREAM_BODY_INCOMPLETE"
                await complete(&context, outcome: .upstreamFailed, status: status, logger: logger)
            }
            return false
        }
        context.record.bytesOut = bytesOut
        if bytesOut > 0 { context.record.responseBodySHA256 = responseHash.hex }
        guard await complete(&context, outcome: .forwarded, status: status, logger: logger) else {
            if headSent {
                // Not durable, so the response's end is never sent: the consumer sees it cut short.
                context.record.refusalPhase = ExchangePhase.audit.rawValue
                context.record.refusalRule = ProxyRefusal.auditUnavailable.rule
                recorder.deferUntilRecovered(context.record)
            } else {
                await writeRefusal(.auditUnavailable, id: context.record.id, head: context.head, traceID: context.responseTraceID,
                                   outbound: outbound, keepAlive: false)
                deferAnswered(.auditUnavailable, context: &context)
            }
            return false
        }
        pending.append(.end(nil))
        do {
            try await outbound.write(contentsOf: pending)
        } catch {
            return false
        }
        return keepAlive
    }

    // MARK: Refusals and local answers

    /// Answers with an OperationOutcome, after its audit record is durable.
    private func refuse(_ refusal: ProxyRefusal, context: inout ExchangeContext, outbound: Outbound, keepAlive: Bool, logger: Logger,
                        record: Bool = true) async {
        context.record.refusalPhase = refusal.phase.rawValue
        context.record.refusalRule = refusal.rule
        context.record.refusalToken = refusal.token
        let outcome: ExchangeRecord.Outcome = switch refusal.status {
        case 502 where refusal.phase == .forward: .upstreamFailed
        case 504: .upstreamTimeout
        default: .refused
        }
        if record {
            guard await complete(&context, outcome: outcome, status: refusal.status, logger: logger) else {
                await writeRefusal(.auditUnavailable, id: context.record.id, head: context.head, traceID: context.responseTraceID,
                                   outbound: outbound, keepAlive: false)
                deferAnswered(.auditUnavailable, context: &context)
                return
            }
        }
        await writeRefusal(refusal, id: context.record.id, head: context.head, traceID: context.responseTraceID,
                           outbound: outbound, keepAlive: keepAlive && !refusal.closesConnection)
    }

    /// Keeps, for after the outage, the record of an exchange answered because the store failed.
    private func deferAnswered(_ refusal: ProxyRefusal, context: inout ExchangeContext) {
        context.record.outcome = .refused
        context.record.status = refusal.status
        context.record.refusalPhase = refusal.phase.rawValue
        context.record.refusalRule = refusal.rule
        context.record.refusalToken = refusal.token
        context.record.completedAt = Date()
        context.record.durationMicroseconds = context.started.duration(to: .now).microseconds
        recorder.deferUntilRecovered(context.record)
    }

    private func writeRefusal(_ refusal: ProxyRefusal, id: UUID, head: HTTPRequestHead?, traceID: String, outbound: Outbound, keepAlive: Bool) async {
        let outcome = OperationOutcome(id: id.uuidString.lowercased(), status: refusal.status, issueType: refusal.issueType, token: refusal.token)
        let xml = OperationOutcome.prefersXML(accept: head?.headers.first(name: "accept"))
        let body = xml ? outcome.xml : outcome.json
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: xml ? OperationOutcome.xmlContentType : OperationOutcome.jsonContentType)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(contentsOf: Self.ownAnswerHeaders)
        headers.add(name: "X-Request-ID", value: id.uuidString.lowercased())
        headers.add(name: "Ssp-TraceID", value: traceID)
        for (name, value) in refusal.headers { headers.add(name: name, value: value) }
        if let head { addCORS(&headers, request: head) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: refusal.status, reasonPhrase: Self.reasonPhrase(refusal.status))
        try? await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: head?.version ?? .http1_1, status: status, headers: headers)),
            .body(.byteBuffer(ByteBuffer(string: body))),
            .end(nil),
        ])
    }

    /// Headers on every answer Switchboard makes itself (not on a provider's, which pass as sent):
    /// HTTPS only from now on, and no content sniffing.
    static let ownAnswerHeaders = [("Strict-Transport-Security", "max-age=31536000"), ("X-Content-Type-Options", "nosniff")]

    /// A request the HTTP decoder could not read: answered, recorded, and the connection closed.
    private func refuseUnparsable(_ refusal: ProxyRefusal, method: String = "", outbound: Outbound, client: ClientIdentity) async {
        var record = ExchangeRecord(id: .timeOrdered(), node: settings.node, receivedAt: Date(), clientAddress: client.address, method: method, targetURL: "")
        record.certificateSubject = client.certificate?.subject
        record.certificateFQDN = client.certificate?.fqdn
        record.refusalPhase = refusal.phase.rawValue
        record.refusalRule = refusal.rule
        record.refusalToken = refusal.token
        record.outcome = .refused
        record.status = refusal.status
        record.completedAt = Date()
        do { try await recorder.complete(record) } catch { recorder.deferUntilRecovered(record) }
        await writeRefusal(refusal, id: record.id, head: nil, traceID: record.id.uuidString.lowercased(), outbound: outbound, keepAlive: false)
    }

    /// Records plain HTTP sent to the TLS port (answered `497` by ``PlainHTTPDetector``).
    func recordPlainHTTP(clientAddress: String, requestLine: String) {
        let parts = requestLine.split(separator: " ", maxSplits: 2)
        var record = ExchangeRecord(id: .timeOrdered(), node: settings.node, receivedAt: Date(), clientAddress: clientAddress,
                                    method: parts.first.map { String($0.prefix(16)) } ?? "",
                                    targetURL: parts.count > 1 ? ProxyRefusal.sanitised(String(parts[1].prefix(2048))) : "")
        let refusal = ProxyRefusal.plainHTTPOnTLSPort
        record.refusalPhase = refusal.phase.rawValue
        record.refusalRule = refusal.rule
        record.refusalToken = refusal.token
        record.outcome = .refused
        record.status = refusal.status
        record.completedAt = Date()
        let recorder = self.recorder
        Task {
            do { try await recorder.complete(record) } catch { recorder.deferUntilRecovered(record) }
        }
    }

    /// `/_status`, endpoint discovery and CORS pre-flight; `nil` when the request is an SSP exchange.
    private func answerLocally(head: HTTPRequestHead, requests: inout RequestReader, outbound: Outbound, keepAlive: Bool, client: ClientIdentity) async -> Bool? {
        if head.method == .GET, head.uri.hasPrefix("/Endpoint") || head.uri.hasPrefix("/Device") {
            return await discover(head: head, requests: &requests, outbound: outbound, keepAlive: keepAlive, client: client)
        }
        if head.uri == "/_status" && (head.method == .GET || head.method == .HEAD) {
            _ = try? await requests.next()
            let body = settings.statusBody
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)"), ("Cache-Control", "no-store")]
                                      + Self.ownAnswerHeaders)
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            try? await outbound.write(contentsOf: [
                .head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)),
                .body(.byteBuffer(ByteBuffer(string: head.method == .HEAD ? "" : body))), .end(nil),
            ])
            return keepAlive
        }
        guard head.method == .OPTIONS, let origin = head.headers.first(name: "origin"),
              head.headers.first(name: "access-control-request-method") != nil else { return nil }
        var context = ExchangeContext(id: .timeOrdered(), node: settings.node, head: head, client: client, snapshot: directory.snapshot)
        let pending = (try? RequestFraming.check(head, maxBodyBytes: Int.max)) ?? .chunked
        guard pending == .none else { return nil }
        _ = try? await requests.next()
        guard settings.allowedOrigins.contains(origin) else {
            await refuse(ProxyRefusal(status: 403, issueType: .forbidden, phase: .validate, rule: "CORS_ORIGIN_NOT_ALLOWED"),
                         context: &context, outbound: outbound, keepAlive: keepAlive, logger: logger)
            return keepAlive
        }
        guard await complete(&context, outcome: .answered, status: 204, logger: logger) else {
            await writeRefusal(.auditUnavailable, id: context.record.id, head: head, traceID: context.responseTraceID, outbound: outbound, keepAlive: false)
            deferAnswered(.auditUnavailable, context: &context)
            return false
        }
        var headers = HTTPHeaders()
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Access-Control-Allow-Methods", value: HTTPMethodName.allCases.map(\.rawValue).joined(separator: ", "))
        headers.add(name: "Access-Control-Allow-Headers", value: "Ssp-TraceID, Ssp-From, Ssp-To, Ssp-InteractionID, Authorization, Accept, Content-Type, If-Match, X-Correlation-ID")
        headers.add(name: "Access-Control-Expose-Headers", value: "X-Request-ID, Ssp-TraceID, Location, ETag")
        headers.add(name: "Access-Control-Max-Age", value: "600")
        headers.add(name: "Vary", value: "Origin")
        headers.add(name: "X-Request-ID", value: context.record.id.uuidString.lowercased())
        headers.add(name: "Ssp-TraceID", value: context.responseTraceID)
        headers.add(name: "Content-Length", value: "0")
        try? await outbound.write(contentsOf: [.head(HTTPResponseHead(version: head.version, status: .noContent, headers: headers)), .end(nil)])
        return keepAlive
    }

    /// `GET /Endpoint?…` and `GET /Device?…`: SDS-style discovery for consumers with a certificate.
    private func discover(head: HTTPRequestHead, requests: inout RequestReader, outbound: Outbound, keepAlive: Bool, client: ClientIdentity) async -> Bool? {
        var context = ExchangeContext(id: .timeOrdered(), node: settings.node, head: head, client: client, snapshot: directory.snapshot)
        context.record.targetURL = ProxyRefusal.sanitised(String(head.uri.prefix(2048)))
        let pending = (try? RequestFraming.check(head, maxBodyBytes: Int.max)) ?? .chunked
        guard pending == .none else { return nil }
        _ = try? await requests.next()
        let search: Discovery.Search
        do {
            guard client.certificate != nil else { throw ProxyRefusal.clientCertificateRequired }
            guard let parsed = try Discovery.search(uri: head.uri) else { return nil }
            search = parsed
        } catch let refusal as ProxyRefusal {
            await refuse(refusal, context: &context, outbound: outbound, keepAlive: keepAlive, logger: logger)
            return keepAlive
        } catch {
            return nil
        }
        context.record.resourceType = search.resource.rawValue
        context.record.toODS = search.ods.rawValue
        context.record.interaction = search.interaction.rawValue
        let host = head.headers.first(name: "host") ?? settings.proxyHost
        guard let body = try? Discovery.bundle(search, snapshot: context.snapshot, selfURL: "https://\(host)\(head.uri)") else { return false }
        guard await complete(&context, outcome: .answered, status: 200, logger: logger) else {
            await writeRefusal(.auditUnavailable, id: context.record.id, head: head, traceID: context.responseTraceID, outbound: outbound, keepAlive: false)
            deferAnswered(.auditUnavailable, context: &context)
            return false
        }
        var headers = HTTPHeaders([("Content-Type", "application/fhir+json;charset=utf-8"), ("Content-Length", "\(body.count)"),
                                   ("Cache-Control", "no-store"), ("X-Request-ID", context.record.id.uuidString.lowercased()),
                                   ("Ssp-TraceID", context.responseTraceID)] + Self.ownAnswerHeaders)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try? await outbound.write(contentsOf: [.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)),
                                               .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil)])
        return keepAlive
    }

    private func addCORS(_ headers: inout HTTPHeaders, request: HTTPRequestHead) {
        guard !settings.allowedOrigins.isEmpty, let origin = request.headers.first(name: "origin"), settings.allowedOrigins.contains(origin) else { return }
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Access-Control-Expose-Headers", value: "X-Request-ID, Ssp-TraceID, Location, ETag")
        headers.add(name: "Vary", value: "Origin")
    }

    // MARK: Audit

    /// Completes the record and waits until it is durable; `false` if the store failed.
    @discardableResult
    private func complete(_ context: inout ExchangeContext, outcome: ExchangeRecord.Outcome, status: Int, logger: Logger) async -> Bool {
        context.record.outcome = outcome
        context.record.status = status
        context.record.completedAt = Date()
        context.record.durationMicroseconds = context.started.duration(to: .now).microseconds
        metrics?.record(context.record, catalogued: context.slot != nil)
        do {
            try await recorder.complete(context.record)
            logger.info("exchange", metadata: context.record.logMetadata)
            return true
        } catch {
            logger.error("audit store refused to complete a record", metadata: [LogKey.error: "\(error)"])
            return false
        }
    }

    // MARK: Helpers

    static func clientIdentity(channel: any Channel, identity: ConnectionIdentityBox) -> ClientIdentity {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        guard let peer = identity.peerCertificate.withLockedValue({ $0 }), let der = try? peer.toDERBytes() else {
            return ClientIdentity(address: address, certificate: nil)
        }
        return ClientIdentity(address: address, certificate: CertificateIdentities.shared.identity(der: der))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 495: "SSL Certificate Error"
        case 496: "SSL Certificate Required"
        case 497: "HTTP Request Sent to HTTPS Port"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: HTTPResponseStatus(statusCode: status).reasonPhrase
        }
    }
}

/// The consumer connection's request parts, read one at a time by whichever task is handling
/// the current exchange (never two at once).
struct RequestReader: @unchecked Sendable {
    var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator

    mutating func next() async throws -> HTTPServerRequestPart? {
        try await iterator.next()
    }
}

extension SHA256 {
    var hex: String { Hex.encode(finalize()) }
}

/// What routing needs from a client certificate (its subject and FQDN), read once per distinct
/// certificate: consumers present the same certificate on every connection, and parsing it was a
/// noticeable part of each new connection's cost.
final class CertificateIdentities: Sendable {
    static let shared = CertificateIdentities(capacity: 4096)

    private let capacity: Int
    private let known: NIOLockedValueBox<[[UInt8]: ClientIdentity.Certificate?]>

    init(capacity: Int) {
        self.capacity = capacity
        known = NIOLockedValueBox([:])
    }

    /// The identity of the certificate whose DER encoding is `der`; nil if it cannot be read.
    func identity(der: [UInt8]) -> ClientIdentity.Certificate? {
        if let cached = known.withLockedValue({ $0[der] }) { return cached }
        let identity = Self.read(der: der)
        known.withLockedValue { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known[der] = identity
        }
        return identity
    }

    static func read(der: [UInt8]) -> ClientIdentity.Certificate? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        var fqdn: String?
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                if case .dnsName(let dns) = name { fqdn = dns; break }
            }
        }
        if fqdn == nil {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    fqdn = String(describing: attribute.value)
                }
            }
        }
        return .init(subject: certificate.subject.description, fqdn: fqdn)
    }
}
