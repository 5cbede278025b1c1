import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// The last handler of a consumer connection: reads its requests and takes one ``Exchange`` at a
/// time through the phases, on the connection's event loop. It reads only when the current
/// exchange can take more (back-pressure from the provider's side), keeps the parts of a
/// pipelined next request until the current one is answered, and swallows the rest of a request
/// answered before it was fully read.
final class ConsumerConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let service: ExchangeService
    private let identityBox: ConnectionIdentityBox
    private var context: ChannelHandlerContext?
    private var client: ClientIdentity?
    private var exchange: Exchange?
    /// Parts of a request that arrived while another was being answered (pipelining).
    private var waiting = CircularBuffer<HTTPServerRequestPart>()
    /// The current request was answered before its end was read; what is left of it is dropped.
    private var discardingRequest = false
    private var readHeld = false
    private var closed = false
    /// The last write's outcome: a connection that closes after an answer waits for it.
    private var lastWrite: EventLoopFuture<Void>?

    init(service: ExchangeService, identity: ConnectionIdentityBox) {
        self.service = service
        self.identityBox = identity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionClosed()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionClosed()
        context.fireChannelInactive()
    }

    private func connectionClosed() {
        guard !closed else { return }
        closed = true
        exchange?.consumerClosed()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data))
    }

    private func receive(_ part: HTTPServerRequestPart) {
        if discardingRequest {
            if case .end = part { discardingRequest = false }
            return
        }
        if let exchange {
            if exchange.requestEnded {
                waiting.append(part)
            } else {
                exchange.receive(part)
            }
            return
        }
        guard case .head(let head) = part, let context else { return }
        guard !service.registry.isShuttingDown else {
            context.close(promise: nil)
            return
        }
        service.registry.mark(context.channel, busy: true)
        if client == nil { client = ExchangeService.clientIdentity(channel: context.channel, identity: identityBox) }
        let exchange = Exchange(head: head, client: client!, service: service, connection: self, eventLoop: context.eventLoop,
                                keepAlive: head.isKeepAlive && !service.registry.isShuttingDown)
        self.exchange = exchange
        exchange.start()
    }

    /// Whether the connection should read now: not while the current exchange cannot take more
    /// of its body, nor while more than a few parts of later requests wait their turn. Reading
    /// on while an answer is awaited is how a consumer that goes away is noticed.
    private var mayRead: Bool {
        if discardingRequest { return true }
        guard let exchange else { return waiting.isEmpty }
        return exchange.requestEnded ? waiting.count < Self.maximumWaitingParts : !exchange.isBackedUp
    }

    static let maximumWaitingParts = 16

    func read(context: ChannelHandlerContext) {
        if mayRead {
            readHeld = false
            context.read()
        } else {
            readHeld = true
        }
    }

    /// Reads again if a read was held back and the connection may read now.
    func resumeReading() {
        guard readHeld, mayRead, let context else { return }
        readHeld = false
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let refusal: ProxyRefusal
        var method = ""
        switch error {
        case let parser as HTTPParserError where parser == .invalidEOFState:
            // The consumer closed mid-request.
            exchange?.consumerClosed()
            context.close(promise: nil)
            return
        case let parser as HTTPParserError:
            refusal = parser == .headerOverflow ? .headersTooLarge : .malformedRequest
        case let unknown as UnknownMethod:
            // The parser stopped at the method, so nothing after it can be read.
            refusal = .methodNotAllowed(unknown.token)
            method = String(unknown.token.prefix(16))
        default:
            // A failed handshake or a reset connection: no HTTP exchange took place.
            service.logger.debug("connection failed", metadata: [LogKey.error: "\(error)"])
            context.close(promise: nil)
            return
        }
        if let exchange {
            exchange.requestBroke(refusal)
            return
        }
        let client = client ?? ExchangeService.clientIdentity(channel: context.channel, identity: identityBox)
        let id = UUID.timeOrdered()
        service.audit.record(refusal, id: id, node: service.settings.node, client: client, method: method, targetURL: "", on: context.eventLoop) { _ in
            let exchangeID = id.uuidString.lowercased()
            self.write(refusal.answer(exchangeID: exchangeID, traceID: exchangeID, request: nil, cors: self.service.cors, keepAlive: false))
            self.exchangeEnded(keepAlive: false)
        }
    }

    // MARK: Writing

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { exchange?.consumerWritable() }
        context.fireChannelWritabilityChanged()
    }

    func write(_ parts: [HTTPServerResponsePart]) {
        guard let context, !parts.isEmpty else { return }
        for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
        lastWrite = context.writeAndFlush(wrapOutboundOut(parts[parts.count - 1]))
    }

    func write(_ answer: ProxyAnswer) {
        write([.head(answer.head), .body(.byteBuffer(answer.body)), .end(nil)])
    }

    /// The current exchange is over: the connection closes, or takes the next request.
    func exchangeEnded(keepAlive: Bool) {
        let ended = exchange
        exchange = nil
        guard let context, !closed else { return }
        guard keepAlive, !service.registry.isShuttingDown else {
            let channel = context.channel
            if let lastWrite {
                lastWrite.whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
            return
        }
        service.registry.mark(context.channel, busy: false)
        if let ended, !ended.requestEnded { discardingRequest = true }
        while exchange == nil || exchange?.requestEnded == false, let part = waiting.popFirst() {
            receive(part)
        }
        resumeReading()
    }
}
