import NIOTLS
package import Synchronization
import NIOCore
import NIOHTTP1
import NIOSSL

/// Closes consumer connections that take too long: to finish the TLS handshake, to send a
/// request's headers once they have started (slowloris), or to send anything at all between
/// keep-alive requests. Also captures the peer certificate when the handshake completes.
///
/// Two instances share one ``ConnectionTimeouts/State``: ``RawSide`` sits after TLS and sees
/// bytes, ``HeadSide`` sits after the HTTP decoder and sees request heads and response ends.
///
/// They also keep the first bytes of each request, so that a method the HTTP parser does not
/// know (`FOO /… HTTP/1.1`) is answered as the SSP answers any method it does not allow —
/// `405` — rather than as a malformed request.
enum ConnectionTimeouts {
    struct Limits: Sendable {
        var handshake: TimeAmount
        var header: TimeAmount
        var idle: TimeAmount
    }

    /// Per-connection state, touched only on the connection's event loop.
    final class State {
        let limits: Limits
        var timer: Scheduled<Void>?
        var awaitingHead = true
        var handshakeDone = false
        var responding = false
        /// The first bytes of the request being read (up to ``methodWindow``).
        var requestStart: [UInt8] = []
        static let methodWindow = 32

        init(limits: Limits) { self.limits = limits }

        func arm(_ amount: TimeAmount, on context: ChannelHandlerContext) {
            timer?.cancel()
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: amount) { channel.close(promise: nil) }
        }

        func disarm() {
            timer?.cancel()
            timer = nil
        }
    }

    /// Between TLS and the HTTP decoder.
    final class RawSide: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let state: State
        let identity: ConnectionIdentityBox

        init(state: State, identity: ConnectionIdentityBox) {
            self.state = state
            self.identity = identity
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { state.arm(state.limits.handshake, on: context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            state.arm(state.limits.handshake, on: context)
            context.fireChannelActive()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
                state.handshakeDone = true
                let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
                identity.peerCertificate.withLock { $0 = certificate }
                state.arm(state.limits.idle, on: context)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if state.handshakeDone && state.awaitingHead && !state.responding {
                state.awaitingHead = false
                state.requestStart.removeAll(keepingCapacity: true)
                state.arm(state.limits.header, on: context)
            }
            if state.requestStart.count < State.methodWindow {
                let bytes = unwrapInboundIn(data)
                state.requestStart += bytes.readableBytesView.prefix(State.methodWindow - state.requestStart.count)
            }
            context.fireChannelRead(data)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            state.disarm()
        }
    }

    /// After the HTTP decoder and encoder.
    final class HeadSide: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        let state: State

        init(state: State) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) {
                state.responding = true
                state.disarm()
            }
            context.fireChannelRead(data)
        }

        /// A method the parser does not know becomes ``UnknownMethod`` when it is a well-formed
        /// token (RFC 9110: one or more `tchar`s), so it can be answered `405`.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let parser = error as? HTTPParserError, parser == .invalidMethod, let token = UnknownMethod.token(in: state.requestStart) {
                context.fireErrorCaught(UnknownMethod(token: token))
                return
            }
            context.fireErrorCaught(error)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) {
                state.responding = false
                state.awaitingHead = true
                state.arm(state.limits.idle, on: context)
            }
            context.write(data, promise: promise)
        }
    }
}

/// A request whose method is a well-formed token that HTTP parsing does not know.
struct UnknownMethod: Error, Hashable {
    var token: String

    /// The method token at the start of `bytes` (up to the first space), if it is one.
    static func token(in bytes: [UInt8]) -> String? {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")), space > 0 else { return nil }
        let method = bytes[..<space]
        guard method.allSatisfy(isTokenCharacter) else { return nil }
        return String(decoding: method, as: UTF8.self)
    }

    /// RFC 9110 `tchar`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

/// The peer certificate of one connection, captured on the event loop when the handshake
/// completes and read by the connection's task when its first request arrives.
package final class ConnectionIdentityBox: Sendable {
    let peerCertificate = Mutex<NIOSSLCertificate?>(nil)
    /// The consumer's address as a load balancer's PROXY header gave it, when one did.
    package let clientAddress = Mutex<String?>(nil)

    package init() {}
}
