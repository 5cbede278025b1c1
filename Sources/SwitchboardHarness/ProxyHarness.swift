package import AsyncHTTPClient
package import Foundation
import Logging
import NIOCore
package import NIOHTTP1
import NIOPosix
package import NIOSSL
package import SwitchboardAdmin
package import SwitchboardApp
package import Prometheus
package import SwitchboardAudit
package import SwitchboardCore
package import SwitchboardDirectory
import SwitchboardPostgres
package import SwitchboardProxy
import SwitchboardSimulator
package import SwitchboardTesting
import SwitchboardStorage

/// A real proxy over real TLS on loopback, in front of a scriptable provider, with the sample
/// directory (the first practice's endpoint pointing at the provider).
package final class ProxyHarness: Sendable {
    package let folder: URL
    package let pki: TestPKI
    package let provider: TestProvider
    package let recorder: InMemoryExchangeRecorder
    /// The real audit store and writer, when the harness was asked for them.
    package let auditStore: (any AuditStore)?
    /// The SQLite file of the audit store (when it is SQLite).
    package let auditPath: String?
    /// The audit journal folder (one folder per node inside), with the SQLite store.
    package let journalFolder: URL?
    package let auditWriter: AuditWriter?
    private let writerTask: Task<Void, any Error>?
    /// The management listener, when the harness was asked for it.
    package let management: ManagementServer?
    package let managementPort: Int?
    private let managementTask: Task<Void, any Error>?
    /// Tokens for each role (when the management listener runs).
    package let adminToken: String?
    package let auditorToken: String?
    package let registry = PrometheusCollectorRegistry()
    package let directory: Directory
    package let port: Int
    package let practiceAddress: String
    package let server: ProxyServer
    private let upstream: UpstreamClient
    private let proxyEventLoops: MultiThreadedEventLoopGroup
    private let serverTask: Task<Void, any Error>
    package let client: HTTPClient

    /// Runs `body` against a fresh proxy, then stops everything.
    package static func with(
        behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action = ProxyHarness.slotBundle,
        audited: Bool = false,
        auditFolder: URL? = nil,
        journalSegmentBytes: Int = 256 << 10,
        auditDatabaseURL: String? = nil,
        providerCertificate: TestPKI.ProviderCertificateFault? = nil,
        management: Bool = false,
        configure: (inout SwitchboardConfiguration) -> Void = { _ in },
        _ body: (ProxyHarness) async throws -> Void
    ) async throws {
        try await StoreTasks.run { try await withTemporaryDirectory { folder in
            let harness = try await ProxyHarness(folder: folder, behaviour: behaviour, audited: audited || management || auditDatabaseURL != nil, auditFolder: auditFolder,
                                                 journalSegmentBytes: journalSegmentBytes, auditDatabaseURL: auditDatabaseURL,
                                                 providerCertificate: providerCertificate, management: management, configure: configure)
            do {
                try await body(harness)
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        } }
    }

    private init(folder: URL, behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action, audited: Bool,
                 auditFolder: URL?, journalSegmentBytes: Int, auditDatabaseURL: String?, providerCertificate: TestPKI.ProviderCertificateFault?, management withManagement: Bool, configure: (inout SwitchboardConfiguration) -> Void) async throws {
        self.folder = folder
        pki = try TestPKI(folder: folder)
        let providerFiles = try providerCertificate.map(pki.providerCertificate) ?? pki.provider
        provider = try await TestProvider(certificate: providerFiles.certificate, privateKey: providerFiles.privateKey, behaviour: behaviour)
        practiceAddress = "https://localhost:\(provider.port)/A81001/STU3/1/gpconnect"

        var configuration = SwitchboardConfiguration()
        configuration.node.id = "test-node"
        configuration.directory.endpointPolicy.allowLoopback = true
        configuration.proxy.listen.host = "127.0.0.1"
        configuration.proxy.listen.port = 0
        configuration.proxy.tls.certificate = pki.proxy.certificate
        configuration.proxy.tls.privateKey = pki.proxy.privateKey
        configuration.proxy.tls.clientCA = pki.consumerCA
        configuration.proxy.upstream.caBundle = pki.providerCA
        configuration.management.host = "127.0.0.1"
        configuration.management.port = 0
        configuration.management.certificate = pki.proxy.certificate
        configuration.management.privateKey = pki.proxy.privateKey
        configuration.management.clientCA = pki.managementCA
        configuration.management.certificateRoles = ["\(TestPKI.adminFQDN)=admin", "\(TestPKI.auditorFQDN)=auditor"]
        configuration.management.tokensFile = folder.appendingPathComponent("tokens.json").path
        configure(&configuration)

        let store = try SQLiteDirectoryStore(path: folder.appendingPathComponent("directory.sqlite").path)
        directory = try await Directory(store: store, validator: DirectoryValidator(endpointPolicy: configuration.directory.endpointPolicy))
        try await directory.replaceAll(with: SampleDirectory.tables(practiceAddress: practiceAddress),
                                       author: ChangeAuthor(actor: "test", source: .import))
        recorder = InMemoryExchangeRecorder()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        if audited {
            let store: any AuditStore
            if let auditDatabaseURL {
                store = try await PostgresAuditStore(location: try PostgresLocation(url: auditDatabaseURL), logger: logger)
                auditPath = nil
                journalFolder = nil
            } else {
                let path = (auditFolder ?? folder).appendingPathComponent("audit.sqlite").path
                // As `switchboard serve` keeps it: durable in the journal, indexed in SQLite.
                let journal = AuditConfiguration.journalFolder(forStoreAt: path)
                store = try await JournaledAuditStore.open(index: try SQLiteAuditStore(path: path, synchronous: .normal, busyTimeoutSeconds: 0.2),
                                                           settings: .init(folder: journal, segmentBytes: journalSegmentBytes))
                auditPath = path
                journalFolder = journal
            }
            let writer = AuditWriter(store: store, settings: .init(node: "test-node", recoveryInterval: .milliseconds(50)), logger: logger)
            auditStore = store
            auditWriter = writer
            writerTask = Task { try await writer.run() }
        } else {
            auditStore = nil
            auditPath = nil
            journalFolder = nil
            auditWriter = nil
            writerTask = nil
        }
        let assembly = ProxyAssembly(configuration: configuration)
        // The proxy's own event loops, as `switchboard serve` has: every exchange runs on them,
        // so tests running side by side must not queue behind each other's.
        proxyEventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        upstream = try assembly.makeUpstreamClient(eventLoopGroup: proxyEventLoops)
        server = try assembly.makeServer(directory: directory.holder, upstream: upstream, recorder: auditWriter ?? recorder,
                                         metrics: ProxyMetrics(factory: PrometheusMetricsFactory(registry: registry)),
                                         eventLoopGroup: proxyEventLoops, logger: logger)
        let server = self.server
        serverTask = Task { try await server.run() }
        port = try await server.localAddress().port!
        if withManagement {
            let tokens = TokenFile(path: configuration.management.tokensFile)
            adminToken = try tokens.add(name: "ops-admin", role: .admin, createdBy: "test")
            auditorToken = try tokens.add(name: "siem", role: .auditor, createdBy: "test")
            let managementServer = try await ManagementAssembly(configuration: configuration).makeServer(
                observed: .init(directory: directory, auditWriter: auditWriter, proxy: server, upstream: upstream), auditStore: auditStore,
                registry: registry,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
            management = managementServer
            managementTask = Task { try await managementServer.run() }
            managementPort = try await managementServer.localAddress().port!
        } else {
            management = nil
            managementTask = nil
            managementPort = nil
            adminToken = nil
            auditorToken = nil
        }

        client = try pki.makeConsumerClient()
    }

    package func stop() async {
        try? await client.shutdown()
        managementTask?.cancel()
        _ = try? await managementTask?.value
        serverTask.cancel()
        _ = try? await serverTask.value
        try? await upstream.shutdown()
        try? await proxyEventLoops.shutdownGracefully()
        writerTask?.cancel()
        _ = try? await writerTask?.value
        await provider.shutdown()
    }

    /// A one-day slot-search Bundle as the GP practice simulator makes it (a few KB).
    package static let slotSearchBody = try! GPConnectExamples(practice: GPConnectExamples.samplePractice,
                                                       today: FHIRDateTime.parse("2026-12-01", in: SimulatedPractice.londonTimeZone)!)
        .slotSearch(serviceRoot: "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect", days: 1)

    /// Answers with ``slotSearchBody``, and hop-by-hop headers the proxy must drop.
    @Sendable package static func slotBundle(_ request: TestProvider.ReceivedRequest) -> TestProvider.Action {
        let body = slotSearchBody
        return .respond(status: 200, headers: [("Content-Type", "application/fhir+json;charset=utf-8"), ("Cache-Control", "no-store"),
                                               ("Connection", "X-Provider-Hop"), ("X-Provider-Hop", "drop me"), ("Keep-Alive", "timeout=5")],
                        body: body)
    }

    // MARK: Requests

    /// The SSP headers for a request from the sample consumer to the sample practice.
    package func sspHeaders(interaction: InteractionID = SampleDirectory.slotSearch, to: ASID = SampleDirectory.practiceASID,
                    scope: String = "organization/*.read", traceID: String = UUID().uuidString) -> [(String, String)] {
        [
            ("Ssp-TraceID", traceID),
            ("Ssp-From", SampleDirectory.consumerASID.rawValue),
            ("Ssp-To", to.rawValue),
            ("Ssp-InteractionID", interaction.rawValue),
            ("Authorization", TestJWT(audience: practiceAddress, scope: scope).authorization),
            ("Accept", "application/fhir+json"),
        ]
    }

    /// The proxy URL for a FHIR request below the practice's service root.
    package func url(_ fhirRequest: String, base: String? = nil) -> String {
        "https://localhost:\(port)/\(base ?? practiceAddress)\(fhirRequest)"
    }

    package struct Response {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: String
    }

    /// Sends a request with the sample consumer's certificate; it fails after `timeout`.
    package func send(_ method: HTTPMethod = .GET, _ fhirRequest: String = "/Slot?status=free&start=ge2026-11-27&end=le2026-12-04&_include=Slot:schedule",
              headers: [(String, String)]? = nil, body: Data? = nil, base: String? = nil, client: HTTPClient? = nil,
              timeout: Duration = .seconds(30)) async throws -> Response {
        var request = HTTPClientRequest(url: url(fhirRequest, base: base))
        request.method = method
        request.headers = HTTPHeaders(headers ?? sspHeaders())
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await (client ?? self.client).execute(request, timeout: .init(timeout))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Response(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// A raw request line and headers for the same exchange, for requests no HTTP client sends.
    package func rawRequest(_ method: String = "GET", _ fhirRequest: String = "/Slot?status=free", extraHeaders: [String] = [], headers: [(String, String)]? = nil,
                    body: String = "") -> String {
        var lines = ["\(method) /\(practiceAddress)\(fhirRequest) HTTP/1.1", "Host: localhost:\(port)"]
        lines += (headers ?? sspHeaders()).map { "\($0.0): \($0.1)" }
        lines += extraHeaders
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    package var consumerTLS: RawClient.TLS {
        RawClient.TLS(trustedCA: pki.consumerCA, certificate: pki.consumer.certificate, privateKey: pki.consumer.privateKey)
    }

    /// The completed audit record of the only exchange with this trace id.
    package func record(traceID: String) async -> ExchangeRecord? {
        for _ in 0..<200 {
            if let record = recorder.completed.first(where: { $0.traceID == traceID }) { return record }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

extension ProxyHarness.Response {
    /// The OperationOutcome's diagnostics token.
    package var token: String? {
        guard let data = body.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let issue = (object["issue"] as? [[String: Any]])?.first else { return nil }
        return issue["diagnostics"] as? String
    }
}

extension TestPKI {
    /// TLS as a consumer speaks it: presenting `certificate` (the sample consumer's unless
    /// told), trusting the consumer CA for the proxy's certificate.
    package func consumerTLS(presenting certificate: Files? = nil) throws -> TLSConfiguration {
        let certificate = certificate ?? consumer
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(consumerCA))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate.certificate).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificate.privateKey, format: .pem))
        return tls
    }

    /// An HTTP/1.1 client presenting `certificate` (the sample consumer's unless told), trusting
    /// the test CA; no redirects followed, no decompression (the proxy's answers are compared as sent).
    package func makeConsumerClient(presenting certificate: Files? = nil) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration(tlsConfiguration: try consumerTLS(presenting: certificate), redirectConfiguration: .disallow,
                                                     decompression: .disabled)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }
}
