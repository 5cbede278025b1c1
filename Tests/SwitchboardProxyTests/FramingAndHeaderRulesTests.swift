import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardTesting
import Testing
@testable import SwitchboardProxy

/// How a request's body is delimited, and which of its headers may be trusted to do it.
@Suite struct RequestFramingTests {
    static func head(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/", headers: HTTPHeaders(headers))
    }

    static func framing(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> Result<RequestFraming.Body, ProxyRefusal> {
        Result { () throws(ProxyRefusal) in try RequestFraming.check(head(headers, version: version), maxBodyBytes: 1_000) }
    }

    @Test func theBodyIsDelimitedByItsLengthOrByChunks() {
        #expect(Self.framing([("Host", "a")]) == .success(.none))
        #expect(Self.framing([("Host", "a"), ("Content-Length", "0")]) == .success(.none))
        #expect(Self.framing([("Host", "a"), ("Content-Length", "12")]) == .success(.length(12)))
        #expect(Self.framing([("Host", "a"), ("Transfer-Encoding", "chunked")]) == .success(.chunked))
        #expect(Self.framing([("Host", "a"), ("Transfer-Encoding", "Chunked")]) == .success(.chunked))
    }

    @Test func framingTwoServersCouldReadDifferentlyIsRefused() {
        for headers in [
            [("Host", "a"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
            [("Host", "a"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
            [("Host", "a"), ("Transfer-Encoding", "gzip, chunked")],
            [("Host", "a"), ("Transfer-Encoding", "identity")],
            [("Host", "a"), ("Content-Length", "5"), ("Content-Length", "5")],
            [("Host", "a"), ("Content-Length", "+5")],
            [("Host", "a"), ("Content-Length", "5 ")],
            [("Host", "a"), ("Content-Length", "")],
            [("Host", "a"), ("Content-Length", "0x10")],
            [("Host", "a"), ("Content-Length", "9999999999999999999")],
        ] {
            #expect(Self.framing(headers) == .failure(.malformedRequest), "\(headers)")
        }
        #expect(Self.framing([("Host", "a")], version: .http2) == .failure(.malformedRequest))
    }

    @Test func oneNonEmptyHostIsRequired() {
        #expect(Self.framing([]) == .failure(.invalidHeader("Host")))
        #expect(Self.framing([("Host", "")]) == .failure(.invalidHeader("Host")))
        #expect(Self.framing([("Host", "a"), ("Host", "b")]) == .failure(.duplicateHeader("Host")))
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsRead() {
        #expect(Self.framing([("Host", "a"), ("Content-Length", "1000")]) == .success(.length(1_000)))
        #expect(Self.framing([("Host", "a"), ("Content-Length", "1001")]) == .failure(.bodyTooLarge))
    }
}

/// Which headers cross the proxy in each direction.
@Suite struct HeaderRulesTests {
    @Test func towardsTheProviderHopByHopAndForgedForwardingHeadersGoAndOursAreAdded() {
        let incoming = HTTPHeaders([
            ("Host", "switchboard.example"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"), ("Transfer-Encoding", "chunked"), ("Content-Length", "3"), ("Expect", "100-continue"),
            ("Proxy-Authorization", "Basic eA=="), ("Upgrade", "h2c"), ("Trailer", "X-Checksum"),
            ("X-Forwarded-For", "10.9.9.9"), ("Forwarded", "for=10.9.9.9"), ("X-Request-ID", "forged"), ("X-Correlation-ID", "forged"),
            ("Ssp-TraceID", "5a7c5e3e-3f4e-4c1d-9b1e-2f6a8d0c9e11"), ("Ssp-From", "200000000359"), ("Authorization", "Bearer abc"),
            ("Accept", "application/fhir+json"),
        ])
        let headers = HeaderRules.upstreamRequestHeaders(from: incoming, clientAddress: "192.0.2.7", proxyHost: "switchboard.example",
                                                         exchangeID: "01a2", correlationID: "c-1")
        #expect(headers.map(\.name) == ["Ssp-TraceID", "Ssp-From", "Authorization", "Accept",
                                        "Forwarded", "X-Forwarded-For", "X-Request-ID", "X-Correlation-ID"])
        #expect(headers["Forwarded"] == ["for=192.0.2.7;proto=https;host=switchboard.example"])
        #expect(headers["X-Forwarded-For"] == ["192.0.2.7"])
        #expect(headers["X-Request-ID"] == ["01a2"])
        #expect(headers["X-Correlation-ID"] == ["c-1"])
        #expect(headers["Authorization"] == ["Bearer abc"])
    }

    @Test func anIPv6ClientIsQuotedInForwarded() {
        let headers = HeaderRules.upstreamRequestHeaders(from: HTTPHeaders(), clientAddress: "2001:db8::7", proxyHost: "sb", exchangeID: "x", correlationID: "x")
        #expect(headers["Forwarded"] == [#"for="[2001:db8::7]";proto=https;host=sb"#])
    }

    @Test func towardsTheConsumerFramingIsOursExceptTheLength() {
        let upstream = HTTPHeaders([
            ("Content-Type", "application/fhir+json"), ("Content-Length", "42"), ("Connection", "close, X-Internal"), ("X-Internal", "1"),
            ("Transfer-Encoding", "chunked"), ("X-Request-ID", "provider's"), ("Ssp-TraceID", "provider's"), ("ETag", #"W/"1""#),
        ])
        let headers = HeaderRules.downstreamResponseHeaders(from: upstream, exchangeID: "01a2", traceID: "5a7c")
        #expect(headers.map(\.name) == ["Content-Type", "Content-Length", "ETag", "X-Request-ID", "Ssp-TraceID"])
        #expect(headers["X-Request-ID"] == ["01a2"])
        #expect(headers["Ssp-TraceID"] == ["5a7c"])
        #expect(HeaderRules.downstreamResponseHeaders(from: HTTPHeaders(), exchangeID: "01a2", traceID: nil).map(\.name) == ["X-Request-ID"])
    }

    @Test func namesCompareWithoutRegardToASCIICase() {
        #expect(HeaderRules.named("Content-LENGTH", "content-length"))
        #expect(!HeaderRules.named("Content-Lengths", "content-length"))
        #expect(HeaderRules.isConnectionOption("x-secret", in: HTTPHeaders([("Connection", " keep-alive ,\tX-SECRET ")])))
        #expect(!HeaderRules.isConnectionOption("x-secret", in: HTTPHeaders([("Connection", "x-secrets")])))
    }
}

/// The request as the provider receives it: its target, `Host` and framing.
@Suite struct ForwardPhaseTests {
    static func request(_ method: HTTPMethod, _ fhirRequest: String, body: RequestFraming.Body,
                        base: String = SampleDirectory.practiceAddress) throws -> UpstreamRequest {
        var context = AdmissionPhaseTests.context(method, fhirRequest, base: base)
        context.target = try TargetURL(requestTarget: context.head.uri)
        return try ForwardPhase(proxyHost: "switchboard.example").request(context, body: body)
    }

    @Test func theTargetBecomesTheProvidersRequestLineAndHost() throws {
        let request = try Self.request(.GET, "/Slot?status=free", body: .none)
        let base = try #require(URL(string: SampleDirectory.practiceAddress))
        #expect(request.head.uri == "\(base.path)/Slot?status=free")
        #expect(request.head.version == .http1_1)
        #expect(request.head.headers["Host"] == ["\(base.host!)\(base.port.map { ":\($0)" } ?? "")"])
        #expect(request.origin == ProviderOrigin(host: base.host!, port: base.port ?? 443))
        #expect(request.head.headers["Content-Length"].isEmpty)
        #expect(request.head.headers["Transfer-Encoding"].isEmpty)
        #expect(!request.hasBody)
        #expect(request.head.headers["X-Forwarded-For"] == ["192.0.2.7"])
    }

    @Test func theBodysFramingIsSetByTheProxy() throws {
        let sized = try Self.request(.POST, "/Appointment", body: .length(120))
        #expect(sized.head.headers["Content-Length"] == ["120"])
        #expect(sized.hasBody)
        let chunked = try Self.request(.POST, "/Appointment", body: .chunked)
        #expect(chunked.head.headers["Transfer-Encoding"] == ["chunked"])
        #expect(chunked.head.headers["Content-Length"].isEmpty)
        let empty = try Self.request(.POST, "/Appointment", body: .none)
        #expect(empty.head.headers["Content-Length"] == ["0"])
        #expect(!empty.hasBody)
    }
}
