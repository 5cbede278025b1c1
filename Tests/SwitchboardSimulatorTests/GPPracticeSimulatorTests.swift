import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardSimulator
import SwitchboardTesting
import Testing

/// The simulator answers GP Connect as a provider would, called directly (no proxy).
@Suite struct GPPracticeSimulatorTests {
    static let prefix = "urn:nhs:names:services:gpconnect:fhir:"

    struct Harness {
        var base: String
        var client: HTTPClient

        func send(_ method: HTTPMethod, _ path: String, interaction: String?, scope: String = "organization/*.read", to: String = "918999198001",
                  body: Any? = nil, headers extra: [(String, String)] = []) async throws -> (status: Int, headers: HTTPHeaders, json: [String: Any]) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            var headers: [(String, String)] = [("Ssp-TraceID", UUID().uuidString), ("Ssp-From", "200000000359"), ("Ssp-To", to),
                                               ("Authorization", TestJWT(audience: base, scope: scope).authorization), ("Accept", "application/fhir+json")]
            if let interaction { headers.append(("Ssp-InteractionID", GPPracticeSimulatorTests.prefix + interaction)) }
            if let body {
                headers.append(("Content-Type", "application/fhir+json"))
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            }
            for (name, value) in extra {
                headers.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
                headers.append((name, value))
            }
            request.headers = HTTPHeaders(headers)
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
            return (Int(response.status.code), response.headers, json)
        }
    }

    func withSimulator(_ body: (Harness) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let pki = try TestPKI(folder: folder)
            var logger = Logger(label: "simulator")
            logger.logLevel = .critical
            let simulator = try GPPracticeSimulator(practices: [.init(ods: "A81001", asid: "918999198001", name: "The Densham Surgery")], port: 0,
                                                    certificate: pki.provider.certificate, privateKey: pki.provider.privateKey,
                                                    fixtures: Repository.fixtures.appendingPathComponent("gpconnect"),
                                                    eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
                                                    today: Date().addingTimeInterval(86_400))
            let task = Task { try await simulator.run() }
            let port = await simulator.localAddress().port!
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.providerCA))
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.httpVersion = .http1Only
            let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
            do {
                try await body(Harness(base: "https://localhost:\(port)/A81001/STU3/1/gpconnect", client: client))
            } catch {
                try? await client.shutdown()
                task.cancel()
                throw error
            }
            try await client.shutdown()
            task.cancel()
        }
    }

    static var range: String {
        let from = Date().addingTimeInterval(86_400)
        return "start=ge\(from.formatted(.iso8601).prefix(10))&end=le\(from.addingTimeInterval(2 * 86_400).formatted(.iso8601).prefix(10))"
    }

    @Test func searchBookReadAmendCancel() async throws {
        try await withSimulator { simulator in
            let search = try await simulator.send(.GET, "/Slot?status=free&\(Self.range)&_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner",
                                                  interaction: "rest:search:slot-1")
            #expect(search.status == 200)
            let resources = (search.json["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
            let slots = resources.filter { $0["resourceType"] as? String == "Slot" }
            #expect(slots.count == 72)
            #expect(resources.contains { $0["resourceType"] as? String == "Schedule" })
            #expect(resources.contains { $0["resourceType"] as? String == "Practitioner" })
            let slot = try #require(slots.first)

            var appointment = try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.fixtures.appendingPathComponent("gpconnect/book_appt_request_example.json"))) as! [String: Any]
            appointment["slot"] = [["reference": "Slot/\(slot["id"] as! String)"]]
            let booked = try await simulator.send(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(booked.status == 201)
            let location = try #require(booked.headers.first(name: "Location"))
            #expect(booked.headers.first(name: "ETag") == "W/\"1\"")
            let again = try await simulator.send(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(again.status == 409)
            #expect(((again.json["issue"] as? [[String: Any]])?.first?["details"] as? [String: Any]).flatMap { ($0["coding"] as? [[String: Any]])?.first?["code"] as? String } == "DUPLICATE_REJECTED")

            let read = try await simulator.send(.GET, "/\(location)", interaction: "rest:read:appointment-1", scope: "patient/*.read")
            #expect(read.status == 200)
            var amended = read.json
            amended["description"] = "Amended description"
            let stale = try await simulator.send(.PUT, "/\(location)", interaction: "rest:update:appointment-1", scope: "patient/*.write", body: amended,
                                                 headers: [("If-Match", "W/\"9\"")])
            #expect(stale.status == 409)
            let changed = try await simulator.send(.PUT, "/\(location)", interaction: "rest:update:appointment-1", scope: "patient/*.write", body: amended,
                                                   headers: [("If-Match", "W/\"1\"")])
            #expect(changed.status == 200)
            #expect(changed.json["description"] as? String == "Amended description")
            var cancelled = changed.json
            cancelled["status"] = "cancelled"
            let cancel = try await simulator.send(.PUT, "/\(location)", interaction: "rest:cancel:appointment-1", scope: "patient/*.write", body: cancelled,
                                                  headers: [("If-Match", "W/\"2\"")])
            #expect(cancel.status == 200)
            let rebooked = try await simulator.send(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(rebooked.status == 201, "the cancelled appointment's slot is free again")
            let patient = try await simulator.send(.GET, "/Patient/1/Appointment", interaction: "rest:search:patient_appointments-1", scope: "patient/*.read")
            #expect((patient.json["entry"] as? [Any])?.count == 2)
            let metadata = try await simulator.send(.GET, "/metadata", interaction: "rest:read:metadata-1")
            #expect(metadata.json["resourceType"] as? String == "CapabilityStatement")
        }
    }

    @Test func providerRulesAreChecked() async throws {
        try await withSimulator { simulator in
            let noInteraction = try await simulator.send(.GET, "/metadata", interaction: nil)
            #expect(noInteraction.status == 400)
            let wrongInteraction = try await simulator.send(.GET, "/metadata", interaction: "rest:search:slot-1")
            #expect(wrongInteraction.status == 400)
            let wrongReceiver = try await simulator.send(.GET, "/metadata", interaction: "rest:read:metadata-1", to: "918999198004")
            #expect(wrongReceiver.status == 400)
            let xml = try await simulator.send(.GET, "/metadata", interaction: "rest:read:metadata-1", headers: [("Accept", "application/fhir+xml")])
            #expect(xml.status == 415)
            let badJWT = try await simulator.send(.GET, "/metadata", interaction: "rest:read:metadata-1", headers: [("Authorization", "Bearer x.y.")])
            #expect(badJWT.status == 400)
            let noStatus = try await simulator.send(.GET, "/Slot?\(Self.range)&_include=Slot:schedule", interaction: "rest:search:slot-1")
            #expect(noStatus.status == 422)
            let tooLong = try await simulator.send(.GET, "/Slot?status=free&start=ge2026-12-01&end=le2026-12-31&_include=Slot:schedule", interaction: "rest:search:slot-1")
            #expect(tooLong.status == 422)
            let unknown = try await simulator.send(.GET, "/Appointment/999", interaction: "rest:read:appointment-1", scope: "patient/*.read")
            #expect(unknown.status == 404)
        }
    }
}
