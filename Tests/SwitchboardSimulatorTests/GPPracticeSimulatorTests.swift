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
                  body: Data? = nil, headers extra: [(String, String)] = []) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            var headers: [(String, String)] = [("Ssp-TraceID", UUID().uuidString), ("Ssp-From", "200000000359"), ("Ssp-To", to),
                                               ("Authorization", TestJWT(audience: base, scope: scope).authorization), ("Accept", "application/fhir+json")]
            if let interaction { headers.append(("Ssp-InteractionID", GPPracticeSimulatorTests.prefix + interaction)) }
            if let body {
                headers.append(("Content-Type", "application/fhir+json"))
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            for (name, value) in extra {
                headers.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
                headers.append((name, value))
            }
            request.headers = HTTPHeaders(headers)
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), response.headers, Data(bytes.readableBytesView))
        }

        func json(_ method: HTTPMethod, _ path: String, interaction: String?, scope: String = "organization/*.read", to: String = "918999198001",
                  body: Data? = nil, headers: [(String, String)] = []) async throws -> (status: Int, headers: HTTPHeaders, json: [String: Any]) {
            let answer = try await send(method, path, interaction: interaction, scope: scope, to: to, body: body, headers: headers)
            return (answer.status, answer.headers, (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any] ?? [:])
        }
    }

    static let practice = GPPracticeSimulator.Practice(ods: "A81001", asid: "918999198001", name: "The Densham Surgery", systemName: "EMIS Web")

    func withSimulator(_ body: (Harness) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let pki = try TestPKI(folder: folder)
            var logger = Logger(label: "simulator")
            logger.logLevel = .critical
            let simulator = try GPPracticeSimulator(practices: [Self.practice], port: 0,
                                                    certificate: pki.provider.certificate, privateKey: pki.provider.privateKey,
                                                    eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
                                                    today: Date().addingTimeInterval(86_400))
            let task = Task { try await simulator.run() }
            let port = try await simulator.localAddress().port!
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
        let london = SimulatedPractice.londonTimeZone
        let from = Date().addingTimeInterval(86_400)
        return "start=ge\(FHIRDateTime.day(from, in: london))&end=le\(FHIRDateTime.day(from.addingTimeInterval(6 * 86_400), in: london))"
    }

    static let allIncludes = "_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner&_include:recurse=Schedule:actor:Location"
        + "&_include:recurse=Location:managingOrganization"

    static func resources(_ bundle: [String: Any]) -> [[String: Any]] {
        (bundle["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
    }

    /// The first registered patient, found by NHS number as a consumer finds them.
    func findPatient(_ simulator: Harness) async throws -> [String: Any] {
        let number = SimulatedPractice(Self.practice, seed: GPPracticeSimulator.defaultSeed).patients[0].nhsNumber!
        let found = try await simulator.json(.GET, "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C\(number)", interaction: "rest:search:patient-1",
                                             scope: "patient/*.read")
        #expect(found.status == 200)
        return try #require(Self.resources(found.json).first)
    }

    func booking(slot: [String: Any], patient: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "resourceType": "Appointment", "status": "booked", "start": slot["start"]!, "end": slot["end"]!,
            "slot": [["reference": "Slot/\(slot["id"]!)"]], "created": "2026-11-30T10:00:00Z", "description": "Review",
            "participant": [["actor": ["reference": "Patient/\(patient["id"]!)"], "status": "accepted"]],
            "contained": [["resourceType": "Organization", "id": "1", "name": "NHS 111 South East",
                           "identifier": [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RYE"]]]],
            "extension": [["url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1", "valueReference": ["reference": "#1"]]],
        ])
    }

    @Test func searchBookReadAmendCancel() async throws {
        try await withSimulator { simulator in
            let patient = try await findPatient(simulator)
            let search = try await simulator.json(.GET, "/Slot?status=free&\(Self.range)&_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner",
                                                  interaction: "rest:search:slot-1")
            #expect(search.status == 200)
            let resources = Self.resources(search.json)
            let slots = resources.filter { $0["resourceType"] as? String == "Slot" }
            #expect(slots.count > 20)
            #expect(resources.contains { $0["resourceType"] as? String == "Schedule" })
            #expect(resources.contains { $0["resourceType"] as? String == "Practitioner" })
            #expect(!resources.contains { $0["resourceType"] as? String == "Location" }, "only what was asked for is included")
            let slot = try #require(slots.first)

            let appointment = try booking(slot: slot, patient: patient)
            let booked = try await simulator.json(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(booked.status == 201)
            let location = try #require(booked.headers.first(name: "Location"))
            #expect(booked.headers.first(name: "ETag") == "W/\"1\"")
            let again = try await simulator.json(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(again.status == 409)
            #expect(Self.spineCode(again.json) == "DUPLICATE_REJECTED")

            let read = try await simulator.json(.GET, "/\(location)", interaction: "rest:read:appointment-1", scope: "patient/*.read")
            #expect(read.status == 200)
            var amended = read.json
            amended["description"] = "Amended description"
            let stale = try await simulator.json(.PUT, "/\(location)", interaction: "rest:update:appointment-1", scope: "patient/*.write",
                                                 body: try JSONSerialization.data(withJSONObject: amended), headers: [("If-Match", "W/\"9\"")])
            #expect(stale.status == 409)
            let changed = try await simulator.json(.PUT, "/\(location)", interaction: "rest:update:appointment-1", scope: "patient/*.write",
                                                   body: try JSONSerialization.data(withJSONObject: amended), headers: [("If-Match", "W/\"1\"")])
            #expect(changed.status == 200)
            #expect(changed.json["description"] as? String == "Amended description")
            var moved = changed.json
            moved["slot"] = [["reference": "Slot/\(slots[1]["id"]!)"]]
            let move = try await simulator.json(.PUT, "/\(location)", interaction: "rest:update:appointment-1", scope: "patient/*.write",
                                                body: try JSONSerialization.data(withJSONObject: moved), headers: [("If-Match", "W/\"2\"")])
            #expect(move.status == 422, "an amendment cannot move the appointment")
            var cancelled = changed.json
            cancelled["status"] = "cancelled"
            let cancel = try await simulator.json(.PUT, "/\(location)", interaction: "rest:cancel:appointment-1", scope: "patient/*.write",
                                                  body: try JSONSerialization.data(withJSONObject: cancelled), headers: [("If-Match", "W/\"2\"")])
            #expect(cancel.status == 200)
            let rebooked = try await simulator.json(.POST, "/Appointment", interaction: "rest:create:appointment-1", scope: "patient/*.write", body: appointment)
            #expect(rebooked.status == 201, "the cancelled appointment's slot is free again")
            let theirs = try await simulator.json(.GET, "/Patient/\(patient["id"]!)/Appointment", interaction: "rest:search:patient_appointments-1",
                                                  scope: "patient/*.read")
            #expect(Self.resources(theirs.json).count == 2)
            let metadata = try await simulator.json(.GET, "/metadata", interaction: "rest:read:metadata-1")
            #expect(metadata.json["resourceType"] as? String == "CapabilityStatement")
            #expect((metadata.json["software"] as? [String: Any])?["name"] as? String == "EMIS Web")
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
            let badNumber = try await simulator.json(.GET, "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C9000000001",
                                                     interaction: "rest:search:patient-1", scope: "patient/*.read")
            #expect(badNumber.status == 400)
            #expect(Self.spineCode(badNumber.json) == "INVALID_NHS_NUMBER")
            let badSystem = try await simulator.json(.GET, "/Patient?identifier=https://example.org/id%7C1", interaction: "rest:search:patient-1",
                                                     scope: "patient/*.read")
            #expect(Self.spineCode(badSystem.json) == "INVALID_IDENTIFIER_SYSTEM")
            let notHere = try await simulator.send(.GET, "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C9000000009",
                                                   interaction: "rest:search:patient-1", scope: "patient/*.read")
            #expect(notHere.status == 200, "a valid number not registered here is an empty searchset")
        }
    }

    static func spineCode(_ outcome: [String: Any]) -> String? {
        ((outcome["issue"] as? [[String: Any]])?.first?["details"] as? [String: Any]).flatMap { ($0["coding"] as? [[String: Any]])?.first?["code"] as? String }
    }

    /// Every resource the simulator serves has its GP Connect profile and required elements, and
    /// every reference inside a searchset resolves to an entry of it; the STU3 validator agrees.
    @Test func everyServedResourceHasItsShape() async throws {
        try await withSimulator { simulator in
            var served: [(name: String, body: Data)] = []
            func fetch(_ name: String, _ path: String, _ interaction: String, scope: String = "organization/*.read",
                       method: HTTPMethod = .GET, body: Data? = nil) async throws -> [String: Any] {
                let answer = try await simulator.send(method, path, interaction: interaction, scope: scope, body: body)
                #expect((200...201).contains(answer.status), "\(name): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                served.append((name, answer.body))
                return try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
            }
            let search = try await fetch("slot-search", "/Slot?status=free&\(Self.range)&\(Self.allIncludes)", "rest:search:slot-1")
            let included = Set(Self.resources(search).compactMap { $0["resourceType"] as? String })
            #expect(included == ["Slot", "Schedule", "Practitioner", "Location", "Organization"])
            let patientSearch = try await fetch("patient-search", "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C\(SimulatedPractice(Self.practice, seed: GPPracticeSimulator.defaultSeed).patients[0].nhsNumber!)",
                                                "rest:search:patient-1", scope: "patient/*.read")
            let patient = try #require(Self.resources(patientSearch).first)
            let slot = try #require(Self.resources(search).first { $0["resourceType"] as? String == "Slot" })
            _ = try await fetch("metadata", "/metadata", "rest:read:metadata-1")
            _ = try await fetch("practitioner", "/Practitioner/1", "rest:read:practitioner-1")
            _ = try await fetch("location", "/Location/1", "rest:read:location-1")
            _ = try await fetch("organization", "/Organization/1", "rest:read:organization-1")
            _ = try await fetch("patient", "/Patient/\(patient["id"]!)", "rest:read:patient-1", scope: "patient/*.read")
            _ = try await fetch("appointment", "/Appointment", "rest:create:appointment-1", scope: "patient/*.write", method: .POST,
                                body: try booking(slot: slot, patient: patient))
            _ = try await fetch("patient-appointments", "/Patient/\(patient["id"]!)/Appointment", "rest:search:patient_appointments-1", scope: "patient/*.read")
            _ = try await fetch("practitioner-search", "/Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id%7C1", "rest:search:practitioner-1")
            _ = try await fetch("organization-search", "/Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code%7CA81001", "rest:search:organization-1")

            for (name, body) in served {
                let resource = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                for problem in FHIRShape.problems(resource, serviceRoot: simulator.base) { Issue.record("\(name): \(problem)") }
            }

            try await withTemporaryDirectory { folder in
                let files = try served.map { name, body in
                    let file = folder.appendingPathComponent("\(name).json")
                    try body.write(to: file)
                    return file
                }
                let result = try await STU3Validator.validate(files)
                if result.ran { #expect(result.valid, "\(result.output)") }
            }
        }
    }
}

/// The shape GP Connect 1.6.0 gives each resource: its profile and the elements it requires,
/// and for a searchset, absolute `fullUrl`s and references that resolve inside the Bundle.
enum FHIRShape {
    static let profiles = [
        "Slot": "GPConnect-Slot-1", "Schedule": "GPConnect-Schedule-1", "Appointment": "GPConnect-Appointment-1",
        "Practitioner": "CareConnect-GPC-Practitioner-1", "Location": "CareConnect-GPC-Location-1",
        "Organization": "CareConnect-GPC-Organization-1", "Patient": "CareConnect-GPC-Patient-1",
    ]

    static let required: [String: [String]] = [
        "Slot": ["id", "schedule", "status", "start", "end", "serviceType", "extension"],
        "Schedule": ["id", "actor", "planningHorizon", "serviceCategory"],
        "Practitioner": ["id", "identifier", "name", "gender"],
        "Location": ["id", "name", "address", "managingOrganization"],
        "Organization": ["id", "identifier", "name"],
        "Patient": ["id", "identifier", "name", "gender", "birthDate"],
        "Appointment": ["id", "status", "start", "end", "slot", "participant", "created", "contained", "extension"],
        "CapabilityStatement": ["fhirVersion", "kind", "format", "rest", "software", "status", "date"],
        "Bundle": ["id", "type", "meta"],
    ]

    static func problems(_ resource: [String: Any], serviceRoot: String) -> [String] {
        guard let type = resource["resourceType"] as? String else { return ["no resourceType"] }
        var problems: [String] = []
        for element in required[type] ?? [] where resource[element] == nil { problems.append("\(type) has no \(element)") }
        if let profile = profiles[type] {
            let claimed = ((resource["meta"] as? [String: Any])?["profile"] as? [String]) ?? []
            if claimed != ["https://fhir.nhs.uk/STU3/StructureDefinition/\(profile)"] { problems.append("\(type) claims \(claimed), not \(profile)") }
        }
        if type == "CapabilityStatement", resource["fhirVersion"] as? String != "3.0.1" { problems.append("fhirVersion is not 3.0.1") }
        if type == "Patient" {
            let numbers = (resource["identifier"] as? [[String: Any]] ?? []).filter { $0["system"] as? String == "https://fhir.nhs.uk/Id/nhs-number" }
            if numbers.count != 1 { problems.append("Patient has \(numbers.count) NHS numbers") }
        }
        for key in ["start", "end"] {
            if let text = resource[key] as? String, type != "Bundle", !(text.hasSuffix("Z") || text.dropLast(6).count == 19) {
                problems.append("\(type).\(key) '\(text)' has no offset")
            }
        }
        guard type == "Bundle" else { return problems }
        if resource["type"] as? String != "searchset" { problems.append("Bundle type is not searchset") }
        let entries = resource["entry"] as? [[String: Any]] ?? []
        var present = Set<String>()
        for entry in entries {
            guard let inner = entry["resource"] as? [String: Any], let innerType = inner["resourceType"] as? String, let id = inner["id"] as? String else {
                problems.append("an entry has no resource with a type and id")
                continue
            }
            present.insert("\(innerType)/\(id)")
            if entry["fullUrl"] as? String != "\(serviceRoot)/\(innerType)/\(id)" { problems.append("\(innerType)/\(id) has fullUrl \(entry["fullUrl"] ?? "none")") }
            problems += self.problems(inner, serviceRoot: serviceRoot)
        }
        for entry in entries {
            guard let inner = entry["resource"] as? [String: Any] else { continue }
            for reference in references(inner) where present.contains(where: { $0.hasPrefix(reference.split(separator: "/")[0] + "/") }) {
                if !present.contains(reference) { problems.append("\(inner["resourceType"]!)/\(inner["id"]!) refers to \(reference), which is not in the Bundle") }
            }
        }
        return problems
    }

    /// The `Type/id` references a resource makes (not contained `#id` ones).
    static func references(_ value: Any) -> [String] {
        if let object = value as? [String: Any] {
            var found = (object["reference"] as? String).map { $0.hasPrefix("#") ? [] : [$0] } ?? []
            for (key, child) in object where key != "reference" { found += references(child) }
            return found
        }
        if let array = value as? [Any] { return array.flatMap(references) }
        return []
    }
}
