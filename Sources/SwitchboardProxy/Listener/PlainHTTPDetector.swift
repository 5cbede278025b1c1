import Foundation
import NIOCore
import SwitchboardCore

/// First in a consumer connection's pipeline: a TLS connection begins with a handshake record
/// (`0x16`); one that begins with an HTTP method is plain HTTP sent to the TLS port and gets a
/// `497` OperationOutcome in clear, then the connection is closed. Anything else is closed.
final class PlainHTTPDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let onPlainHTTP: @Sendable (String) -> Void

    /// - Parameter onPlainHTTP: told the request line when plain HTTP is refused (for the audit).
    init(onPlainHTTP: @escaping @Sendable (String) -> Void) {
        self.onPlainHTTP = onPlainHTTP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if first == 0x16 {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
            return
        }
        if CharacterRules.isUpper(first) {
            let line = buffer.getString(at: buffer.readerIndex, length: min(buffer.readableBytes, 256))?
                .split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
            onPlainHTTP(line)
            let outcome = OperationOutcome(id: UUID.randomString(), status: 497, issueType: .security, token: ProxyRefusal.plainHTTPOnTLSPort.token)
            let body = outcome.json
            let response = "HTTP/1.1 497 HTTP Request Sent to HTTPS Port\r\nContent-Type: \(OperationOutcome.jsonContentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: response))).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }
}

extension UUID {
    static func randomString() -> String { UUID().uuidString.lowercased() }
}
