import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SwitchboardProxy
import Synchronization
import Testing

/// The PROXY protocol v2 reader alone: headers as HAProxy and AWS NLB write them, split reads,
/// and everything it must refuse.
@Suite struct ProxyProtocolTests {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// A header: version 2, `command` (1 PROXY, 0 LOCAL), `family`, then `payload`.
    static func header(command: UInt8 = 1, family: UInt8, payload: [UInt8]) -> [UInt8] {
        signature + [0x20 | command, family, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    /// TCP over IPv4 from 203.0.113.7:51234 to 10.0.0.5:8443, and a TLV (as HAProxy adds).
    static let ipv4 = header(family: 0x11, payload: [203, 0, 113, 7, 10, 0, 0, 5, 0xC8, 0x22, 0x20, 0xFB] + [0x04, 0x00, 0x01, 0x00])

    static func parse(_ bytes: [UInt8]) -> (ProxyProtocolReader.ParseResult, remaining: Int) {
        var buffer = ByteBuffer(bytes: bytes)
        let result = ProxyProtocolReader.parse(&buffer)
        return (result, buffer.readableBytes)
    }

    @Test func tcpOverIPv4WithATLV() {
        let (result, remaining) = Self.parse(Self.ipv4 + [0x16, 0x03, 0x01])
        #expect(result == .header(.proxied(address: "203.0.113.7", port: 51234)))
        #expect(remaining == 3, "the TLS bytes after the header are left for the handshake")
    }

    @Test func tcpOverIPv6() {
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [0x01]
        let bytes = Self.header(family: 0x21, payload: source + [UInt8](repeating: 0, count: 16) + [0x01, 0xBB, 0x20, 0xFB])
        #expect(Self.parse(bytes).0 == .header(.proxied(address: "2001:db8::1", port: 443)))
    }

    @Test("LOCAL (the balancer's own health check) and families without a TCP client keep the connection's address")
    func localAndUnspecified() {
        #expect(Self.parse(Self.header(command: 0, family: 0x11, payload: [UInt8](repeating: 0, count: 12))).0 == .header(.local))
        #expect(Self.parse(Self.header(family: 0x00, payload: [])).0 == .header(.local))
    }

    @Test("a header cut anywhere asks for more; every prefix of a valid one does")
    func partial() {
        for length in 0..<Self.ipv4.count {
            #expect(Self.parse(Array(Self.ipv4.prefix(length))).0 == .needMore, "after \(length) bytes")
        }
    }

    @Test("what is not a v2 PROXY header is refused: a TLS hello, HTTP, version 1 text, a bad command, a short address block, an unknown family")
    func malformed() {
        #expect(Self.parse([0x16, 0x03, 0x01, 0x02, 0x00]).0 == .invalid)
        #expect(Self.parse(Array("GET / HTTP/1.1\r\n".utf8)).0 == .invalid)
        #expect(Self.parse(Array("PROXY TCP4 203.0.113.7 10.0.0.5 51234 8443\r\n".utf8)).0 == .invalid)
        var badCommand = Self.ipv4
        badCommand[12] = 0x22
        #expect(Self.parse(badCommand).0 == .invalid)
        var version1 = Self.ipv4
        version1[12] = 0x11
        #expect(Self.parse(version1).0 == .invalid)
        #expect(Self.parse(Self.header(family: 0x11, payload: [203, 0, 113, 7])).0 == .invalid)
        #expect(Self.parse(Self.header(family: 0x41, payload: [UInt8](repeating: 0, count: 12))).0 == .invalid)
        #expect(Self.parse(Self.signature + [0x21, 0x11, 0xFF, 0xFF]).0 == .invalid, "longer than any balancer sends")
    }

    @Test func balancerAddressesMatchAddressesAndBlocks() throws {
        let allowed = try BalancerAddresses(["10.0.0.0/24", "192.0.2.10", "2001:db8::/32"])
        #expect(allowed.contains("10.0.0.200"))
        #expect(!allowed.contains("10.0.1.1"))
        #expect(allowed.contains("192.0.2.10"))
        #expect(!allowed.contains("192.0.2.11"))
        #expect(allowed.contains("2001:db8:ffff::1"))
        #expect(!allowed.contains("2001:db9::1"))
        #expect(!allowed.contains("not-an-address"))
        #expect(try BalancerAddresses(["10.1.2.3/20"]).contains("10.1.15.255"))
        #expect(!(try BalancerAddresses(["10.1.2.3/20"]).contains("10.1.16.0")))
        for bad in ["balancer.example", "10.0.0.0/33", "10.0.0.0/", "2001:db8::/129"] {
            #expect(throws: BalancerAddressError.self, "\(bad)") { try BalancerAddresses([bad]) }
        }
    }

    @Test("on a connection: the header read across two packets gives the client's address, the rest goes on, and the reader leaves")
    func onAConnection() throws {
        let identity = ConnectionIdentityBox()
        let refusals = NIOLockedValueBox<[ProxyProtocolReader.Refusal]>([])
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ProxyProtocolReader(allowed: try BalancerAddresses(["127.0.0.3"]), identity: identity) { refusal in refusals.withLockedValue { $0.append(refusal) } })
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.3", port: 40000)).wait()
        try channel.writeInbound(ByteBuffer(bytes: Self.ipv4.prefix(10)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: Self.ipv4.dropFirst(10) + [0x16, 0x03, 0x01]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x16, 0x03, 0x01]))
        #expect(identity.clientAddress.withLock { $0 } == "203.0.113.7")
        #expect(throws: ChannelPipelineError.self) { try channel.pipeline.syncOperations.handler(type: ProxyProtocolReader.self) }
        #expect(refusals.withLockedValue { $0 }.isEmpty)
        _ = try channel.finish()
    }

    @Test("a connection from an address not allowed is closed before it is read, and one with a malformed header after it")
    func refusedConnections() throws {
        let refusals = NIOLockedValueBox<[ProxyProtocolReader.Refusal]>([])
        for (address, bytes) in [("127.0.0.1", Self.ipv4), ("127.0.0.3", Array("GET / HTTP/1.1\r\n\r\n".utf8))] {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(
                ProxyProtocolReader(allowed: try BalancerAddresses(["127.0.0.3"]), identity: ConnectionIdentityBox()) { refusal in
                    refusals.withLockedValue { $0.append(refusal) }
                })
            try channel.connect(to: try SocketAddress(ipAddress: address, port: 40000)).wait()
            if channel.isActive { _ = try? channel.writeInbound(ByteBuffer(bytes: bytes)) }
            #expect(!channel.isActive, "\(address) is closed")
            #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "nothing from \(address) goes on")
        }
        #expect(refusals.withLockedValue { $0 } == [.addressNotAllowed, .malformed])
    }
}
