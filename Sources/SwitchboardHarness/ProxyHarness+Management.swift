import AsyncHTTPClient
import Foundation
import NIOCore
package import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardAdmin
import SwitchboardApp
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import SwitchboardTesting

extension ProxyHarness {
    package enum Caller: Sendable, CustomStringConvertible {
        case adminToken, auditorToken, adminCertificate, auditorCertificate, consumerCertificate, badToken, nobody

        package var description: String { "\(self)" }
    }

    /// Calls the management listener as `caller`.
    package func manage(_ method: HTTPMethod, _ path: String, as caller: Caller, json: String? = nil, contentType: String = "application/json",
                headers extra: [(String, String)] = []) async throws -> Response {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.consumerCA))
        let files: TestPKI.Files? = switch caller {
        case .adminCertificate: pki.adminCertificate
        case .auditorCertificate: pki.auditorCertificate
        case .consumerCertificate: pki.consumer
        default: nil
        }
        if let files {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: "https://localhost:\(managementPort!)\(path)")
        request.method = method
        switch caller {
        case .adminToken: request.headers.add(name: "Authorization", value: "Bearer \(adminToken!)")
        case .auditorToken: request.headers.add(name: "Authorization", value: "Bearer \(auditorToken!)")
        case .badToken: request.headers.add(name: "Authorization", value: "Bearer sbt_notarealtoken")
        default: break
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        return Response(status: Int(response.status.code), headers: response.headers, body: String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }
}

extension ProxyHarness.Response {
    package var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}
