import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardAdmin
import SwitchboardApp
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import SwitchboardHarness
import SwitchboardTesting
import Testing

@Suite struct ManagementTests {
    @Test func eachRoleIsAllowedAndRefusedWhereItShouldBe() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let adminPath = "/admin/systems"
            let auditPath = "/audit/exchanges"
            let expectations: [(ProxyHarness.Caller, Int, Int)] = [
                (.adminToken, 200, 403), (.auditorToken, 403, 200), (.adminCertificate, 200, 403), (.auditorCertificate, 403, 200),
                (.badToken, 401, 401), (.nobody, 401, 401),
            ]
            // A 111 certificate is not from the management CA: refused in the TLS handshake.
            await #expect(throws: (any Error).self) { try await harness.manage(.GET, adminPath, as: .consumerCertificate) }
            for (caller, admin, audit) in expectations {
                let adminStatus = try await harness.manage(.GET, adminPath, as: caller).status
                #expect(adminStatus == admin, "\(caller) \(adminPath)")
                let auditStatus = try await harness.manage(.GET, auditPath, as: caller).status
                #expect(auditStatus == audit, "\(caller) \(auditPath)")
            }
            let health = try await harness.manage(.GET, "/health", as: .nobody)
            #expect(health.status == 200)
            let refused = try await harness.manage(.GET, adminPath, as: .auditorToken)
            #expect(refused.object["error"] as? String == "wrong-role")
            let unauthenticated = try await harness.manage(.GET, adminPath, as: .nobody)
            #expect(unauthenticated.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            // Browser-facing security headers on every answer, errors and unknown paths included.
            for response in [unauthenticated, health, try await harness.manage(.GET, "/nowhere", as: .adminToken)] {
                #expect(response.headers["Strict-Transport-Security"] == ["max-age=31536000"])
                #expect(response.headers["X-Content-Type-Options"] == ["nosniff"])
                #expect(response.headers["X-Frame-Options"] == ["DENY"])
                #expect(response.headers["Content-Security-Policy"].first?.hasPrefix("default-src 'none'") == true)
            }
        }
    }

    /// Every route of both APIs against every kind of caller: only the route's own role gets past
    /// authentication, and no refused call changes anything.
    @Test func everyRouteRefusesEveryOtherRole() async throws {
        try await ProxyHarness.with(management: true, configure: { $0.management.maximumFailuresPerMinute = 1000 }) { harness in
            let organisation = #"{"ods": "Y01236", "name": "Minor Injuries Unit", "kind": "urgent-care"}"#
            let routes: [(HTTPMethod, String, String?, Role)] = [
                (.GET, "/admin/organisations", nil, .admin), (.GET, "/admin/organisations/A81001", nil, .admin),
                (.POST, "/admin/organisations", organisation, .admin), (.PUT, "/admin/organisations/A81001", organisation, .admin),
                (.DELETE, "/admin/organisations/A81001", nil, .admin), (.POST, "/admin/batch", #"{"changes": []}"#, .admin),
                (.GET, "/admin/history", nil, .admin), (.GET, "/audit/exchanges", nil, .auditor),
                (.GET, "/audit/exchanges/\(UUID())", nil, .auditor), (.GET, "/audit/report", nil, .auditor), (.GET, "/audit/verify", nil, .auditor),
            ]
            let callers: [(ProxyHarness.Caller, Role?)] = [
                (.adminToken, .admin), (.adminCertificate, .admin), (.auditorToken, .auditor), (.auditorCertificate, .auditor), (.badToken, nil), (.nobody, nil),
            ]
            let generation = harness.directory.snapshot.generation
            for (method, path, json, role) in routes {
                for (caller, callerRole) in callers where callerRole != role {
                    let status = try await harness.manage(method, path, as: caller, json: json).status
                    #expect(status == (callerRole == nil ? 401 : 403), "\(caller) \(method) \(path)")
                }
                if method == .GET {
                    let status = try await harness.manage(method, path, as: role == .admin ? .adminToken : .auditorToken).status
                    #expect(status != 401 && status != 403, "\(role) \(method) \(path)")
                }
            }
            #expect(harness.directory.snapshot.generation == generation, "no refused call changed the routing tables")
        }
    }

    @Test func repeatedFailuresAreRateLimited() async throws {
        try await ProxyHarness.with(management: true, configure: { $0.management.maximumFailuresPerMinute = 3 }) { harness in
            var statuses: [Int] = []
            for _ in 0..<5 { statuses.append(try await harness.manage(.GET, "/admin/systems", as: .badToken).status) }
            #expect(statuses == [401, 401, 401, 429, 429])
            let stillBlocked = try await harness.manage(.GET, "/admin/systems", as: .adminToken)
            #expect(stillBlocked.status == 429)
        }
    }

    @Test func createReadUpdateRetireWithVersions() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let organisation = #"{"ods": "Y01234", "name": "Urgent Treatment Centre", "kind": "urgent-care"}"#
            let created = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: organisation)
            #expect(created.status == 201, "\(created.body)")
            #expect(created.headers["ETag"] == ["W/\"1\""])
            let again = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: organisation)
            #expect(again.status == 409)
            #expect(again.object["error"] as? String == "already-exists")

            let read = try await harness.manage(.GET, "/admin/organisations/Y01234", as: .adminToken)
            #expect(read.object["name"] as? String == "Urgent Treatment Centre")

            let renamed = #"{"ods": "Y01234", "name": "UTC Riverside", "kind": "urgent-care"}"#
            let noIfMatch = try await harness.manage(.PUT, "/admin/organisations/Y01234", as: .adminToken, json: renamed)
            #expect(noIfMatch.status == 428)
            let updated = try await harness.manage(.PUT, "/admin/organisations/Y01234", as: .adminToken, json: renamed, headers: [("If-Match", "W/\"1\"")])
            #expect(updated.status == 200)
            #expect(updated.headers["ETag"] == ["W/\"2\""])
            let stale = try await harness.manage(.PUT, "/admin/organisations/Y01234", as: .adminToken, json: renamed, headers: [("If-Match", "W/\"1\"")])
            #expect(stale.status == 409)
            #expect(stale.object["error"] as? String == "version-conflict")
            #expect(stale.headers["ETag"] == ["W/\"2\""])

            let retired = try await harness.manage(.DELETE, "/admin/organisations/Y01234", as: .adminToken, headers: [("If-Match", "W/\"2\""), ("X-Change-Reason", "merged")])
            #expect(retired.status == 200)
            #expect(retired.object["status"] as? String == "retired")

            let history = try await harness.manage(.GET, "/admin/history?kind=organisation&key=Y01234", as: .adminToken)
            let changes = try #require(history.object["changes"] as? [[String: Any]])
            #expect(changes.map { $0["action"] as? String } == ["retired", "updated", "created"])
            #expect(changes.allSatisfy { $0["actor"] as? String == "token:ops-admin" && $0["source"] as? String == "api" })
            #expect(changes.first?["reason"] as? String == "merged")
            #expect((changes[1]["before"] as? [String: Any])?["name"] as? String == "Urgent Treatment Centre")
            #expect((changes[1]["after"] as? [String: Any])?["name"] as? String == "UTC Riverside")
        }
    }

    @Test(arguments: [
        (#"{"asid": "12345", "ods": "RYE", "partyKey": "RYE-0000901", "name": "X"}"#, 422, "malformed-asid", "asid"),
        (#"{"asid": "200000000999", "ods": "RYE", "partyKey": "RYE-0000901", "name": "X", "colour": "blue"}"#, 400, "unknown-field", "colour"),
        (#"{"asid": "200000000999", "ods": "ZZZ99", "partyKey": "ZZZ99-0000901", "name": "X"}"#, 422, "unknown-ods-code", "ods"),
        (#"{"asid": "200000000999", "ods": "RYE", "partyKey": "RYE-0000901", "name": "X", "sends": ["urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"]}"#,
         422, "consumer-fqdn-missing", "certificateFQDN"),
        (#"{"asid": "200000000999", "ods": "RYE", "partyKey": "RYE-0000901", "name": "X", "sends": ["urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1"], "certificateFQDN": "x.example"}"#,
         422, "interaction-not-in-catalogue", "sends"),
        (#"{"asid": "918999198777", "ods": "A81001", "partyKey": "A81001-0000801", "name": "X", "receives": ["urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"]}"#,
         422, "duplicate-party-key", "partyKey"),
        (#"not json at all {"#, 400, "malformed-json", nil),
    ])
    func validationErrorsNameFieldAndRule(_ body: String, _ status: Int, _ rule: String, _ field: String?) async throws {
        try await ProxyHarness.with(management: true) { harness in
            let response = try await harness.manage(.POST, "/admin/systems", as: .adminToken, json: body)
            #expect(response.status == status, "\(response.body)")
            if let field {
                let issues = response.object["issues"] as? [[String: Any]] ?? []
                #expect(issues.contains { $0["rule"] as? String == rule && $0["field"] as? String == field }, "\(response.body)")
            } else {
                #expect(response.object["error"] as? String == rule)
            }
        }
    }

    @Test func endpointAddressMustBeHTTPS() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let body = #"{"cpaId": "S99", "partyKey": "A81001-0000801", "ods": "A81001", "address": "http://gp.example/A81001/STU3/1/gpconnect", "interactions": []}"#
            let response = try await harness.manage(.POST, "/admin/endpoints", as: .adminToken, json: body)
            #expect(response.status == 422, "well-formed JSON whose address breaks a directory rule")
            let issues = response.object["issues"] as? [[String: Any]] ?? []
            #expect(issues.contains { $0["rule"] as? String == "endpoint-not-https" && $0["field"] as? String == "address" })
        }
    }

    @Test func batchIsAllOrNothingAndCanBePreviewed() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let good = #"{"op": "create", "kind": "organisation", "entry": {"ods": "Y05555", "name": "Hub", "kind": "other"}}"#
            let bad = #"{"op": "create", "kind": "system", "entry": {"asid": "200000000777", "ods": "QQQ99", "partyKey": "QQQ99-0000001", "name": "X"}}"#
            let refused = try await harness.manage(.POST, "/admin/batch", as: .adminToken, json: #"{"changes": [\#(good), \#(bad)]}"#)
            #expect(refused.status == 422)
            #expect(harness.directory.snapshot.tables.organisations[ODSCode(trusted: "Y05555")] == nil)

            let preview = try await harness.manage(.POST, "/admin/batch?dryRun=true", as: .adminToken, json: #"{"changes": [\#(good)]}"#)
            #expect(preview.status == 200)
            #expect(preview.object["dryRun"] as? Bool == true)
            #expect((preview.object["changes"] as? [[String: Any]])?.first?["action"] as? String == "created")
            #expect(harness.directory.snapshot.tables.organisations[ODSCode(trusted: "Y05555")] == nil)

            let system = #"{"op": "create", "kind": "system", "entry": {"asid": "200000000777", "ods": "Y05555", "partyKey": "Y05555-0000001", "name": "Hub system"}}"#
            let applied = try await harness.manage(.POST, "/admin/batch", as: .adminToken, json: #"{"changes": [\#(good), \#(system)], "reason": "new hub"}"#)
            #expect(applied.status == 200, "\(applied.body)")
            #expect((applied.object["changes"] as? [[String: Any]])?.count == 2)
            #expect(harness.directory.snapshot.system(ASID(trusted: "200000000777")) != nil)
        }
    }

    @Test func liveChangesUnderTrafficFailNothingTheyDoNotMeanTo() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let failures = ManagedCounter()
            let successes = ManagedCounter()
            let stop = ManagedFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        while !stop.isSet {
                            let response = try await harness.send()
                            if response.status == 200 { successes.add() } else { failures.add() }
                        }
                    }
                }
                // Changes that do not concern this traffic: another practice's endpoint moves, a hub comes and goes.
                var version = 1
                for round in 0..<10 {
                    let endpoint = #"{"cpaId": "S20001A100004", "partyKey": "M85011-0000804", "ods": "M85011", "address": "https://tpp\#(round).thirdparty.nhs.uk/M85011/STU3/1/gpconnect", "interactions": ["urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"]}"#
                    let updated = try await harness.manage(.PUT, "/admin/endpoints/S20001A100004", as: .adminToken, json: endpoint, headers: [("If-Match", "W/\"\(version)\"")])
                    #expect(updated.status == 200, "\(updated.body)")
                    version += 1
                }
                stop.set()
                try await group.waitForAll()
            }
            #expect(failures.value == 0)
            #expect(successes.value > 20)

            // A change that does concern it takes effect at once: retiring the agreement refuses the next request.
            let retired = try await harness.manage(.DELETE, "/admin/agreements/secamb-111-to-a81001", as: .adminToken, headers: [("If-Match", "W/\"1\"")])
            #expect(retired.status == 200)
            let after = try await harness.send()
            #expect(after.status == 403)
            #expect(after.token?.hasPrefix("FOT_CHECK_FAILED") == true)
        }
    }

    @Test func auditAPIForAuditors() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let trace = UUID().uuidString
            _ = try await harness.send(headers: harness.sspHeaders(traceID: trace))
            let found = try await harness.manage(.GET, "/audit/exchanges?trace-id=\(trace)", as: .auditorToken)
            let records = try #require(found.object["records"] as? [[String: Any]])
            #expect(records.count == 1)
            let id = try #require(records.first?["id"] as? String)
            let one = try await harness.manage(.GET, "/audit/exchanges/\(id)", as: .auditorCertificate)
            #expect(one.object["traceID"] as? String == trace)
            let fhir = try await harness.manage(.GET, "/audit/exchanges?format=fhir", as: .auditorToken)
            #expect(fhir.object["resourceType"] as? String == "Bundle")
            let csv = try await harness.manage(.GET, "/audit/exchanges?format=csv", as: .auditorToken)
            #expect(csv.body.hasPrefix("id,node,received_at"))
            let bad = try await harness.manage(.GET, "/audit/exchanges?asid=12", as: .auditorToken)
            #expect(bad.status == 400)
            #expect(bad.object["message"] as? String == "asid: '12' is not a 12-digit ASID")
            let verify = try await harness.manage(.GET, "/audit/verify", as: .auditorToken)
            #expect(verify.object["intact"] as? Bool == true)
            let report = try await harness.manage(.GET, "/audit/report?format=csv", as: .auditorToken)
            #expect(report.body.contains("total,all,1,1,0,0,"))
        }
    }

    @Test func metricsHealthAndReadiness() async throws {
        try await ProxyHarness.with(management: true) { harness in
            func sample(_ text: String, _ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            _ = try await harness.send()
            let first = try await harness.manage(.GET, "/metrics", as: .nobody)
            #expect(first.status == 200)
            #expect(first.headers["Content-Type"].first?.hasPrefix("text/plain; version=0.0.4") == true)
            let series = #"switchboard_exchanges_total{provider="A81001",interaction="urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1",status="200",outcome="forwarded"}"#
            let before = try #require(sample(first.body, series))
            _ = try await harness.send()
            var headers = harness.sspHeaders()
            headers.removeAll { $0.0 == "Ssp-To" }
            headers.append(("Ssp-To", "918999198004"))
            _ = try await harness.send(headers: headers)
            let second = try await harness.manage(.GET, "/metrics", as: .nobody)
            #expect(sample(second.body, series) == before + 1)
            #expect(sample(second.body, #"switchboard_refusals_total{rule="FOT_CHECK_FAILED"}"#) == 1)
            #expect(sample(second.body, "switchboard_directory_generation") == Double(harness.directory.snapshot.generation))
            #expect(sample(second.body, "switchboard_audit_records_committed_count") ?? 0 >= 3)
            #expect(second.body.contains(#"switchboard_upstream_duration_seconds_bucket{provider="A81001",interaction="urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1""#))
            #expect(sample(second.body, #"switchboard_exchange_duration_seconds_count{provider="A81001",interaction="urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"}"#) ?? 0 >= 2)
            // After the exchanges: one provider connection open and idle in its pool, nobody waiting.
            #expect(sample(second.body, "switchboard_upstream_connections") ?? 0 >= 1)
            #expect(sample(second.body, "switchboard_upstream_busy_connections") == 0)
            #expect(sample(second.body, "switchboard_upstream_waiting_exchanges") == 0)
            for line in second.body.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(Double(line.split(separator: " ").last ?? "x") != nil, "unparsable line: \(line)")
            }
            let ready = try await harness.manage(.GET, "/ready", as: .nobody)
            #expect(ready.status == 200)
            #expect(ready.object["status"] as? String == "ready")
        }
    }
}

/// Endpoint discovery on the proxy port.
@Suite struct DiscoveryTests {
    @Test func endpointAndDeviceSearchesAnswerTheSDSWay() async throws {
        try await ProxyHarness.with(audited: true) { harness in
            let organisation = "https://fhir.nhs.uk/Id/ods-organization-code%7CA81001"
            let interaction = "https://fhir.nhs.uk/Id/nhsServiceInteractionId%7C\(SampleDirectory.slotSearch.rawValue)"
            var request = HTTPClientRequest(url: "https://localhost:\(harness.port)/Endpoint?organization=\(organisation)&identifier=\(interaction)")
            request.method = .GET
            let response = try await harness.client.execute(request, timeout: .seconds(5))
            #expect(response.status == .ok)
            let bundle = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: try await response.body.collect(upTo: 1 << 20)).utf8)) as? [String: Any])
            #expect(bundle["total"] as? Int == 1)
            let endpoint = try #require(((bundle["entry"] as? [[String: Any]])?.first?["resource"]) as? [String: Any])
            #expect(endpoint["resourceType"] as? String == "Endpoint")
            #expect(endpoint["address"] as? String == harness.practiceAddress)
            let identifiers = endpoint["identifier"] as? [[String: String]] ?? []
            #expect(identifiers.contains { $0["system"] == "https://fhir.nhs.uk/Id/nhsSpineASID" && $0["value"] == "918999198001" })
            #expect(identifiers.contains { $0["system"] == "https://fhir.nhs.uk/Id/nhsMhsPartyKey" && $0["value"] == "A81001-0000801" })

            var device = HTTPClientRequest(url: "https://localhost:\(harness.port)/Device?organization=\(organisation)&identifier=\(interaction)")
            device.method = .GET
            let devices = try await harness.client.execute(device, timeout: .seconds(5))
            let deviceBundle = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: try await devices.body.collect(upTo: 1 << 20)).utf8)) as? [String: Any])
            let resource = try #require(((deviceBundle["entry"] as? [[String: Any]])?.first?["resource"]) as? [String: Any])
            #expect(resource["id"] as? String == "918999198001")

            let noMatch = try await RawClient.send("GET /Endpoint?organization=https://fhir.nhs.uk/Id/ods-organization-code%7CZZZ99&identifier=\(interaction) HTTP/1.1\r\nHost: x\r\n\r\n",
                                                   port: harness.port, tls: harness.consumerTLS, timeout: .seconds(5))
            #expect(noMatch.status == 200)
            #expect(noMatch.text.contains("\"total\":0"))
            let bad = try await RawClient.send("GET /Endpoint?organization=RYE HTTP/1.1\r\nHost: x\r\n\r\n", port: harness.port, tls: harness.consumerTLS, timeout: .seconds(5))
            #expect(bad.status == 400)
            #expect(bad.text.contains("MISSING_OR_INVALID_PARAMETER_organization"))
            let anonymous = try await RawClient.send("GET /Endpoint?organization=\(organisation)&identifier=\(interaction) HTTP/1.1\r\nHost: x\r\n\r\n",
                                                     port: harness.port, tls: RawClient.TLS(trustedCA: harness.pki.consumerCA), timeout: .seconds(5))
            #expect(anonymous.status == 496)
            let audited = try await harness.auditStore!.exchanges(try AuditQuery(parameters: [("resource-type", "Endpoint")]))
            #expect(audited.records.contains { $0.outcome == .answered && $0.status == 200 })
        }
    }
}

final class ManagedCounter: Sendable {
    private let count = NIOLockedValueBoxCounter()
    func add() { count.add() }
    var value: Int { count.value }
}

import NIOConcurrencyHelpers

final class NIOLockedValueBoxCounter: Sendable {
    private let box = NIOLockedValueBox(0)
    func add() { box.withLockedValue { $0 += 1 } }
    var value: Int { box.withLockedValue { $0 } }
}

final class ManagedFlag: Sendable {
    private let box = NIOLockedValueBox(false)
    func set() { box.withLockedValue { $0 = true } }
    var isSet: Bool { box.withLockedValue { $0 } }
}

/// Every admin and audit call, allowed or refused, is in the audit chain; tokens are never at rest
/// in the clear; changes wait for a working audit store.
@Suite struct ManagementAuditTests {
    /// The management rows in the store, oldest first, once `count` are there.
    static func managementRecords(_ harness: ProxyHarness, count: Int) async throws -> [ExchangeRecord] {
        var query = AuditQuery()
        query.scope = .management
        query.limit = 1000
        for _ in 0..<300 {
            let records = try await harness.auditStore!.exchanges(query).records
            if records.count >= count { return records.reversed() }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await harness.auditStore!.exchanges(query).records.reversed()
    }

    @Test func everyCallIsRecordedWithWhoWhatAndHowItEnded() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let organisation = #"{"ods": "Y01234", "name": "Urgent Treatment Centre", "kind": "urgent-care"}"#
            let calls: [(HTTPMethod, String, ProxyHarness.Caller, String?, Int)] = [
                (.POST, "/admin/organisations", .adminToken, organisation, 201),
                (.GET, "/admin/systems?status=active", .adminCertificate, nil, 200),
                (.GET, "/admin/systems", .auditorToken, nil, 403),
                (.DELETE, "/admin/organisations/Y01234", .badToken, nil, 401),
                (.GET, "/audit/exchanges", .nobody, nil, 401),
                (.GET, "/audit/report", .auditorCertificate, nil, 200),
                (.GET, "/admin/organisations/NOPE1", .adminToken, nil, 404),
            ]
            for (method, path, caller, json, status) in calls {
                #expect(try await harness.manage(method, path, as: caller, json: json).status == status, "\(method) \(path) as \(caller)")
            }
            _ = try await harness.manage(.GET, "/health", as: .nobody)
            let records = try await Self.managementRecords(harness, count: calls.count)
            try #require(records.count == calls.count, "\(records.map(\.targetURL))")
            for (record, call) in zip(records, calls) {
                #expect(record.method == call.0.rawValue)
                #expect(record.targetURL == call.1)
                #expect(record.status == call.4)
                #expect(record.outcome == (call.4 < 400 ? .answered : .refused))
                #expect(record.clientAddress == "127.0.0.1")
            }
            #expect(records[0].certificateSubject == "token:ops-admin")
            #expect(records[0].requestingParty.userRoleProfileID == "admin")
            #expect(records[0].requestBodySHA256 == Hex.encode(SHA256.hash(data: Data(organisation.utf8))))
            #expect(records[0].responseETag == "W/\"1\"")
            #expect(records[1].certificateSubject == "cert:\(TestPKI.adminFQDN)")
            #expect(records[2].refusalPhase == "authorise" && records[2].refusalRule == "wrong-role")
            #expect(records[2].certificateSubject == "token:siem")
            #expect(records[3].refusalPhase == "identify" && records[3].refusalRule == "unauthenticated")
            #expect(records[3].certificateSubject == nil)
            #expect(records[5].requestingParty.userRoleProfileID == "auditor", "an auditor's reads are recorded too")
            #expect(records[6].refusalRule == "not-found")

            // The calls are in the chain, which still verifies, and out of the exchange listing.
            let verify = try await harness.manage(.GET, "/audit/verify", as: .auditorToken)
            #expect(verify.object["intact"] as? Bool == true)
            let exchanges = try await harness.manage(.GET, "/audit/exchanges", as: .auditorToken)
            #expect((exchanges.object["records"] as? [Any])?.isEmpty == true)
            let listed = try await harness.manage(.GET, "/audit/exchanges?scope=management&limit=3", as: .auditorToken)
            #expect((listed.object["records"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test func tokensAreNeverStoredInTheClear() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let tokens = [harness.adminToken!, harness.auditorToken!]
            #expect(tokens.allSatisfy { $0.hasPrefix("sbt_") && $0.utf8.count >= 26 })
            _ = try await harness.manage(.GET, "/admin/systems", as: .adminToken)
            _ = try await harness.manage(.GET, "/audit/exchanges", as: .auditorToken)
            _ = try await Self.managementRecords(harness, count: 2)
            // Every file the process wrote: the token file, both databases and their journals.
            let files = try FileManager.default.subpathsOfDirectory(atPath: harness.folder.path).map { harness.folder.appendingPathComponent($0) }
            var scanned = 0
            for file in files {
                guard let data = FileManager.default.contents(atPath: file.path) else { continue }
                scanned += 1
                for token in tokens {
                    #expect(data.range(of: Data(token.utf8)) == nil, "\(file.lastPathComponent) holds a token in the clear")
                    let secret = token.dropFirst("sbt_".count)
                    #expect(data.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds a token's secret")
                }
            }
            #expect(scanned >= 3, "the token file and the databases were read")
            let stored = try String(contentsOf: harness.folder.appendingPathComponent("tokens.json"), encoding: .utf8)
            #expect(stored.contains(Hex.encode(SHA256.hash(data: Data(harness.adminToken!.utf8)))), "the token file holds the hash")
        }
    }

    /// The audit journal becomes immutable (the file system refuses its writes).
    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func changesAreRefusedWhileTheAuditStoreCannotRecordThem() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await ProxyHarness.with(auditFolder: disk.mountPoint, management: true) { harness in
                // One call recorded first, so that the node's journal segment exists.
                #expect(try await harness.manage(.GET, "/admin/systems", as: .adminToken).status == 200)
                _ = try await Self.managementRecords(harness, count: 1)
                let node = harness.journalFolder!.appendingPathComponent("test-node")
                try disk.makeReadOnly(try FileManager.default.contentsOfDirectory(atPath: node.path).map { node.appendingPathComponent($0).path } + [node.path])
                // A read goes through; its record cannot be written, which puts the store in failure.
                #expect(try await harness.manage(.GET, "/admin/systems", as: .adminToken).status == 200)
                for _ in 0..<300 where harness.auditWriter!.isAcceptingRecords { try await Task.sleep(for: .milliseconds(10)) }
                let organisation = #"{"ods": "Y01235", "name": "Walk-in Centre", "kind": "urgent-care"}"#
                let refused = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: organisation)
                #expect(refused.status == 503)
                #expect(refused.object["error"] as? String == "audit-unavailable")
                #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01235")] == nil, "nothing changed")
                try disk.makeWritable()
                var status = 0
                for _ in 0..<200 {
                    status = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: organisation).status
                    if status == 201 { break }
                    try await Task.sleep(for: .milliseconds(30))
                }
                #expect(status == 201)
                // The read and the refusal made during the outage are recorded once the store is back.
                let records = try await Self.managementRecords(harness, count: 4)
                #expect(records.filter { $0.method == "GET" && $0.targetURL == "/admin/systems" && $0.status == 200 }.count == 2)
                #expect(records.contains { $0.status == 503 && $0.refusalRule == "audit-unavailable" })
                #expect(records.last?.status == 201)
                #expect(try await harness.auditStore!.verify(node: nil).isIntact)
            }
        }
    }
}
