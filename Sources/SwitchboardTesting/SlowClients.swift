import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The process's open-file limit, raised for tests that hold many connections.
public enum SocketLimit {
    /// Raises the soft limit to `count` (or the hard limit, if lower).
    public static func raise(to count: Int) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw SlowClientError(message: "getrlimit failed") }
        let wanted = min(rlim_t(count), limit.rlim_max)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw SlowClientError(message: "setrlimit failed") }
    }
}

/// A TCP connection to `127.0.0.1:port` that sends nothing: a client that never starts its
/// TLS handshake.
public final class PlainSocket: Sendable {
    private let descriptor: Int32

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SlowClientError(message: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw SlowClientError(message: "connect: \(code)")
        }
    }

    /// False once the server has closed the connection.
    public var isOpen: Bool {
        var byte: UInt8 = 0
        let result = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if result == 0 { return false }
        if result < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
        return true
    }

    public func close() { Glibc.close(descriptor) }
}

/// A mutual-TLS connection that sends what it is told and no more: a client trickling a
/// request's headers.
public final class SlowTLSClient: Sendable {
    private let channel: any Channel

    public init(port: Int, tls: RawClient.TLS) async throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.trustedCA))
        if let certificate = tls.certificate, let key = tls.privateKey {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    public var isOpen: Bool { get async { channel.isActive } }

    public func close() async { try? await channel.close() }
}

public struct SlowClientError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
