#if canImport(Glibc)
import Glibc
#endif
package import NIOCore
import Synchronization

/// First in a consumer connection's pipeline when `proxy.listen.proxyProtocol` is `v2`: reads
/// the PROXY protocol version 2 header a TCP load balancer (HAProxy `send-proxy-v2`, AWS NLB,
/// …) puts before the TLS handshake, so that the consumer's own address — not the balancer's —
/// is the one in the audit record, `Forwarded` and `X-Forwarded-For`.
///
/// A connection from an address not in `proxy.listen.proxyProtocolFrom`, or whose header is
/// malformed, is closed before anything else is read, and counted. A `LOCAL` header (the
/// balancer's own health check) and an address family other than TCP over IPv4 or IPv6 keep
/// the connection's own address. What follows the header goes on to the TLS handshake.
package final class ProxyProtocolReader: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer

    /// Why a connection was closed before its handshake.
    package enum Refusal: String, CaseIterable, Sendable {
        case addressNotAllowed = "address-not-allowed"
        case malformed
    }

    /// The header's parts.
    package enum Header: Equatable {
        /// `PROXY` with the client's address and port.
        case proxied(address: String, port: Int)
        /// `LOCAL`, or `PROXY` for a family without an address to report.
        case local
    }

    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Longest header accepted: addresses plus room for TLVs a balancer may add (HAProxy sends a few).
    static let maximumLength = 16 + 1_024

    private let allowed: BalancerAddresses
    private let identity: ConnectionIdentityBox
    private let refused: @Sendable (Refusal) -> Void
    private var buffered: ByteBuffer?

    package init(allowed: BalancerAddresses, identity: ConnectionIdentityBox, refused: @escaping @Sendable (Refusal) -> Void) {
        self.allowed = allowed
        self.identity = identity
        self.refused = refused
    }

    package func channelActive(context: ChannelHandlerContext) {
        guard let address = context.channel.remoteAddress?.ipAddress, allowed.contains(address) else {
            refuse(.addressNotAllowed, context: context)
            return
        }
        context.fireChannelActive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var held = buffered {
            held.writeBuffer(&incoming)
            incoming = held
        }
        switch Self.parse(&incoming) {
        case .needMore:
            guard incoming.readableBytes < Self.maximumLength else { return refuse(.malformed, context: context) }
            buffered = incoming
        case .invalid:
            refuse(.malformed, context: context)
        case .header(let header):
            buffered = nil
            if case .proxied(let address, _) = header { identity.clientAddress.withLock { $0 = address } }
            if incoming.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(incoming)) }
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
    }

    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        refused(refusal)
        buffered = nil
        context.close(promise: nil)
    }

    package enum ParseResult: Equatable {
        case needMore
        case invalid
        case header(Header)
    }

    /// Reads one header from the front of `buffer` (moving its reader past it when complete).
    package static func parse(_ buffer: inout ByteBuffer) -> ParseResult {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let signatureSeen = min(available, signature.count)
        guard buffer.getBytes(at: start, length: signatureSeen) == Array(signature.prefix(signatureSeen)) else { return .invalid }
        guard available >= 16,
              let versionAndCommand = buffer.getInteger(at: start + 12, as: UInt8.self),
              let family = buffer.getInteger(at: start + 13, as: UInt8.self),
              let length = buffer.getInteger(at: start + 14, as: UInt16.self)
        else { return .needMore }
        guard versionAndCommand >> 4 == 2, versionAndCommand & 0x0F <= 1, 16 + Int(length) <= maximumLength else { return .invalid }
        guard available >= 16 + Int(length) else { return .needMore }
        let isLocal = versionAndCommand & 0x0F == 0
        let header: Header
        switch (isLocal, family) {
        case (true, _):
            header = .local
        case (false, 0x11):  // TCP over IPv4: source, destination, source port, destination port
            guard length >= 12, let address = buffer.getSlice(at: start + 16, length: 4),
                  let port = buffer.getInteger(at: start + 24, as: UInt16.self),
                  let text = try? SocketAddress(packedIPAddress: address, port: Int(port)).ipAddress else { return .invalid }
            header = .proxied(address: text, port: Int(port))
        case (false, 0x21):  // TCP over IPv6
            guard length >= 36, let address = buffer.getSlice(at: start + 16, length: 16),
                  let port = buffer.getInteger(at: start + 48, as: UInt16.self),
                  let text = try? SocketAddress(packedIPAddress: address, port: Int(port)).ipAddress else { return .invalid }
            header = .proxied(address: text, port: Int(port))
        case (false, 0x00), (false, 0x12), (false, 0x22), (false, 0x31), (false, 0x32):  // UNSPEC, UDP, UNIX: no TCP client to report
            header = .local
        default:
            return .invalid
        }
        buffer.moveReaderIndex(forwardBy: 16 + Int(length))
        return .header(header)
    }
}

/// The load balancers allowed to send a PROXY header: addresses or CIDR blocks, IPv4 or IPv6
/// (`proxy.listen.proxyProtocolFrom`).
package struct BalancerAddresses: Sendable {
    private let blocks: [(network: [UInt8], prefix: Int)]

    /// Throws the entry that is neither an address nor a CIDR block.
    package init(_ entries: [String]) throws(BalancerAddressError) {
        blocks = try entries.map { entry throws(BalancerAddressError) in
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = Self.bytes(String(parts[0])) else { throw BalancerAddressError(entry: entry) }
            let prefix = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let prefix, (0...(address.count * 8)).contains(prefix) else { throw BalancerAddressError(entry: entry) }
            return (address, prefix)
        }
    }

    package func contains(_ text: String) -> Bool {
        guard let address = Self.bytes(text) else { return false }
        return blocks.contains { block in
            guard block.network.count == address.count else { return false }
            var remaining = block.prefix
            for (a, b) in zip(block.network, address) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    /// The address's bytes (4 or 16), or nil when `text` is not an IP address.
    static func bytes(_ text: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &bytes) == 1 { return Array(bytes.prefix(4)) }
        if inet_pton(AF_INET6, text, &bytes) == 1 { return bytes }
        return nil
    }
}

/// An entry of `proxy.listen.proxyProtocolFrom` that is not an address or CIDR block.
package struct BalancerAddressError: Error {
    package var entry: String
}
