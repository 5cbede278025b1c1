import AsyncHTTPClient
import Foundation
package import NIOConcurrencyHelpers
import NIOCore
package import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardTesting

/// A browser's view of the console, over real TLS: cookies kept by hand, no redirects followed.
package final class ConsoleBrowser: Sendable {
    let port: Int
    let client: HTTPClient
    /// The cookies it holds, by name.
    package let cookies = NIOLockedValueBox<[String: String]>([:])

    /// A browser of the console on the management `port` of this machine, trusting `trustedCA`.
    package init(port: Int, trustedCA: String) throws {
        self.port = port
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedCA))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }

    /// A browser of `harness`'s console.
    package convenience init(_ harness: ProxyHarness) throws {
        try self.init(port: harness.managementPort!, trustedCA: harness.pki.consumerCA)
    }

    package func shutdown() async { try? await client.shutdown() }

    package struct Page {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: String
        /// The value of the hidden `csrf` field of the page's (first) form.
        package var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    package func get(_ path: String) async throws -> Page { try await send(.GET, path, form: nil) }

    package func post(_ path: String, _ form: [(String, String)]) async throws -> Page { try await send(.POST, path, form: form) }

    package func send(_ method: HTTPMethod, _ path: String, form: [(String, String)]?) async throws -> Page {
        var request = HTTPClientRequest(url: "https://localhost:\(port)\(path)")
        request.method = method
        let jar = cookies.withLockedValue { $0 }
        if !jar.isEmpty { request.headers.add(name: "Cookie", value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let form {
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.0, value: $0.1) }
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: components.percentEncodedQuery ?? ""))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count >= 1 else { continue }
            let value = parts.count == 2 ? parts[1] : ""
            cookies.withLockedValue { $0[parts[0]] = value.isEmpty ? nil : value }
        }
        return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: try await response.body.collect(upTo: 8 << 20)))
    }

    /// Signs in with `token` through the form, as a person would.
    package func signIn(_ token: String) async throws -> Page {
        let form = try await get("/console/sign-in")
        return try await post("/console/sign-in", [("csrf", form.csrf ?? ""), ("token", token)])
    }
}

