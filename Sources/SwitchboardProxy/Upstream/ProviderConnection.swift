import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS
import SwiftASN1
import X509

/// One keep-alive HTTP/1.1 connection to a provider (TLS and the HTTP/1 client codec below it),
/// carrying one ``ProviderCall`` at a time for its event loop's ``ProviderPool``. It reads the
/// provider's answer only while the consumer can take it, fails a call whose provider goes
/// silent mid-body for the read timeout, and goes back to the pool only when both the request
/// and the answer ended cleanly on a connection the provider keeps open. Nothing is sent until the
/// TLS handshake is over and the provider's certificate has passed the revocation lists.
final class ProviderConnection: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let origin: ProviderOrigin
    private weak var pool: ProviderPool?
    private let readTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var call: ProviderCall? {
        didSet { if (oldValue == nil) != (call == nil) { use.carrying(call != nil) } }
    }
    private let use: ProviderPoolUse
    private let revocation: CertificateRevocation
    /// The handshake is over and the provider's certificate passed the revocation check.
    private var trusted = false
    /// The provider's certificate, checked again before each call: a list read since the
    /// handshake may revoke it.
    private var providerCertificate: IssuerAndSerialNumber?
    private var answered = false
    private var requestEnded = false
    private var reusable = true
    private var readsPaused = false
    private var readPending = false
    private var lastRead = NIODeadline.now()
    private var readCheck: Scheduled<Void>?
    private var closed = false
    /// When it was last put back in the pool.
    var idleSince = NIODeadline.now()

    init(origin: ProviderOrigin, pool: ProviderPool, readTimeout: TimeAmount, use: ProviderPoolUse, revocation: CertificateRevocation) {
        self.origin = origin
        self.pool = pool
        self.readTimeout = readTimeout
        self.use = use
        self.revocation = revocation
    }

    var isOpen: Bool { !closed && context?.channel.isActive == true }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    // MARK: The request

    /// Sends `call`'s head, then its body as the ``RequestBodyBridge`` hands it over.
    func carry(_ call: ProviderCall) {
        guard isOpen else { return call.failed(UpstreamError.closedEarly) }
        self.call = call
        call.connection = self
        answered = false
        requestEnded = false
        reusable = true
        guard trusted else { return }
        if let providerCertificate, let refusal = revocation.check(providerCertificate, at: Date()) {
            return fail(call, .certificateRefused(refusal))
        }
        send(call)
    }

    private func send(_ call: ProviderCall) {
        guard let context else { return }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(.head(call.request.head)), promise: written)
        written.futureResult.assumeIsolated().whenFailure { error in
            self.fail(call, UpstreamError.connectionFailed("the request head could not be sent: \(error)"))
        }
        if let body = call.body {
            context.flush()
            body.attach(self, call: call)
        } else {
            endRequest(of: call)
        }
    }

    func writeBody(_ chunk: ByteBuffer, of call: ProviderCall, flush: Bool) {
        guard self.call === call, let context else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        if flush { context.flush() }
    }

    func endRequest(of call: ProviderCall) {
        guard self.call === call, let context else { return }
        requestEnded = true
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The handshake is over: a provider certificate that its issuer's list revokes (or whose
    /// status cannot be known under `fail-closed`) fails the call before anything is sent.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let peer = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
            let certificate = (try? peer?.toDERBytes()).flatMap { try? Certificate(derEncoded: $0) }
            providerCertificate = certificate.map(IssuerAndSerialNumber.init)
            if let providerCertificate, let refusal = revocation.check(providerCertificate, at: Date()) {
                let error = UpstreamError.certificateRefused(refusal)
                if let call { fail(call, error) } else { close() }
                return
            }
            trusted = true
            if let call { send(call) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { call?.body?.onDrained() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: The answer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard let call, !answered else { return close() }
            answered = true
            if !head.isKeepAlive { reusable = false }
            lastRead = .now()
            scheduleReadCheck(at: lastRead + readTimeout)
            call.answered(head)
        case .body(let chunk):
            guard let call else { return close() }
            lastRead = .now()
            if !call.sent(chunk) { readsPaused = true }
        case .end:
            guard let call else { return close() }
            readCheck?.cancel()
            readCheck = nil
            self.call = nil
            readsPaused = false
            if readPending {
                // A read held back for the consumer must not leave the connection deaf in the pool.
                readPending = false
                context.read()
            }
            if reusable && requestEnded, let pool {
                pool.release(self)
            } else {
                close()
            }
            call.finished()
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    /// The consumer can take more: reading goes on (and the read timeout counts from now).
    func resumeReading() {
        guard readsPaused else { return }
        readsPaused = false
        lastRead = .now()
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    private func scheduleReadCheck(at deadline: NIODeadline) {
        guard let context else { return }
        readCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.checkReadTimeout() }
    }

    /// Fails the call if the provider has sent nothing for the read timeout. Time spent waiting
    /// for the consumer to take more is not the provider's silence.
    private func checkReadTimeout() {
        readCheck = nil
        guard let call, answered else { return }
        if readsPaused { lastRead = .now() }
        let due = lastRead + readTimeout
        guard due <= .now() else { return scheduleReadCheck(at: due) }
        fail(call, UpstreamError.readTimeout)
    }

    // MARK: Ends

    /// The call was cancelled: its request may be half sent, so the connection cannot be reused.
    func abandon(_ call: ProviderCall) {
        guard self.call === call else { return }
        self.call = nil
        close()
    }

    private func fail(_ call: ProviderCall, _ error: UpstreamError) {
        guard self.call === call else { return }
        self.call = nil
        close()
        call.failed(error)
    }

    func close() {
        guard !closed else { return }
        closed = true
        readCheck?.cancel()
        readCheck = nil
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let call { fail(call, .connectionFailed("\(error)")) } else { close() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        readCheck?.cancel()
        readCheck = nil
        if let call {
            self.call = nil
            call.failed(UpstreamError.closedEarly)
        }
        pool?.closed(self)
        context.fireChannelInactive()
    }
}
