import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Sends raw bytes to a server and reads what comes back, for tests that need requests no HTTP
/// client would send (smuggling, oversized headers, plain HTTP on the TLS port).
public enum RawClient {
    /// TLS settings for the client side.
    public struct TLS: Sendable {
        public var trustedCA: String
        public var certificate: String?
        public var privateKey: String?

        public init(trustedCA: String, certificate: String? = nil, privateKey: String? = nil) {
            self.trustedCA = trustedCA
            self.certificate = certificate
            self.privateKey = privateKey
        }
    }

    /// What came back.
    public struct Reply: Sendable {
        public var text: String
        /// Whether the server closed the connection before `timeout`.
        public var closedByServer: Bool
        /// Set when the TLS handshake failed.
        public var error: String?

        /// The first value of header `name` in the first response's head.
        public func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].caseInsensitiveCompare(name) == .orderedSame {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }

        /// The status code of the first response, if there was one.
        public var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
    }

    /// Connects to `127.0.0.1:port`, sends `request`, and reads until the server closes or
    /// `timeout` passes. With `closeAfterSending`, closes right after sending (a client that
    /// goes away) and returns at once; with `closeWhen`, closes as soon as it holds; with
    /// `closeAfterReceiving`, once that many bytes have arrived (a consumer that stops reading);
    /// with `closeOnReceiving`, as soon as it holds for the bytes received so far.
    public static func send(
        _ request: [UInt8], port: Int, tls: TLS?, timeout: Duration = .seconds(5), closeAfterSending: Bool = false,
        closeWhen: (@Sendable () -> Bool)? = nil, closeAfterReceiving: Int = .max, closeOnReceiving: (@Sendable ([UInt8]) -> Bool)? = nil
    ) async throws -> Reply {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let reply = try await exchange(request, port: port, tls: tls, timeout: timeout, closeAfterSending: closeAfterSending,
                                           closeWhen: closeWhen, closeAfterReceiving: closeAfterReceiving, closeOnReceiving: closeOnReceiving,
                                           group: group)
            try? await group.shutdownGracefully()
            return reply
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func exchange(
        _ request: [UInt8], port: Int, tls: TLS?, timeout: Duration, closeAfterSending: Bool, closeWhen: (@Sendable () -> Bool)?,
        closeAfterReceiving: Int, closeOnReceiving: (@Sendable ([UInt8]) -> Bool)?, group: MultiThreadedEventLoopGroup
    ) async throws -> Reply {
        let collected = NIOLockedValueBox<(bytes: [UInt8], error: String?)>(([], nil))
        var context: NIOSSLContext?
        if let tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.trustedCA))
            if let certificate = tls.certificate, let key = tls.privateKey {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            context = try NIOSSLContext(configuration: configuration)
        }
        let sslContext = context
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHandler(Collector(collected: collected, readLimit: closeAfterReceiving))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try? await channel.writeAndFlush(ByteBuffer(bytes: request))
        if closeAfterSending {
            try? await channel.close()
            return Reply(text: "", closedByServer: false, error: nil)
        }
        let deadline = ContinuousClock.now + timeout
        while channel.isActive && ContinuousClock.now < deadline && closeWhen?() != true
            && collected.withLockedValue({ $0.bytes.count }) < closeAfterReceiving
            && closeOnReceiving?(collected.withLockedValue { $0.bytes }) != true {
            // A whole response that keeps the connection open is all there is to wait for.
            if Self.isCompleteKeepAliveResponse(collected.withLockedValue { $0.bytes }) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let closed = !channel.isActive
        try? await channel.close()
        let (bytes, error) = collected.withLockedValue { $0 }
        return Reply(text: String(decoding: bytes, as: UTF8.self), closedByServer: closed, error: error)
    }

    /// Whether `bytes` hold one whole response (by `Content-Length`, or a chunked body's last
    /// chunk) that does not announce `Connection: close`.
    static func isCompleteKeepAliveResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<headEnd.lowerBound].lowercased()
        guard head.hasPrefix("http/1.1 "), !head.contains("\r\nconnection: close") else { return false }
        let body = text[headEnd.upperBound...]
        if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
           let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            return body.utf8.count >= length
        }
        if head.contains("\r\ntransfer-encoding: chunked") { return body.hasSuffix("0\r\n\r\n") }
        return false
    }

    public static func send(_ request: String, port: Int, tls: TLS?, timeout: Duration = .seconds(5), closeAfterSending: Bool = false,
                            closeWhen: (@Sendable () -> Bool)? = nil) async throws -> Reply {
        try await send(Array(request.utf8), port: port, tls: tls, timeout: timeout, closeAfterSending: closeAfterSending, closeWhen: closeWhen)
    }

    /// Keeps what arrives; stops reading (as a stalled consumer does) once `readLimit` bytes have.
    private final class Collector: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        let collected: NIOLockedValueBox<(bytes: [UInt8], error: String?)>
        let readLimit: Int
        private var received = 0

        init(collected: NIOLockedValueBox<(bytes: [UInt8], error: String?)>, readLimit: Int) {
            self.collected = collected
            self.readLimit = readLimit
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received += buffer.readableBytes
            collected.withLockedValue { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func read(context: ChannelHandlerContext) {
            if received < readLimit { context.read() }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            collected.withLockedValue { $0.error = "\(error)" }
            context.close(promise: nil)
        }
    }
}
