import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// The management API does exactly what `Docs/management-api.yaml` says, for each thing found
/// when it was probed by hand (schemathesis checks the rest: ManagementContractTests).
@Suite struct ManagementStrictnessTests {
    static let organisation = #"{"ods": "Y01234", "name": "Urgent Treatment Centre", "kind": "urgent-care"}"#

    /// JSON values keep their type: a null, a boolean, a number or a list where a string is due is
    /// `400` naming the field, and nothing is stored.
    @Test(arguments: [
        (#"{"ods": "Y01234", "name": null, "kind": "urgent-care"}"#, "name", "must not be null"),
        (#"{"ods": "Y01234", "name": false, "kind": "urgent-care"}"#, "name", "must be a string"),
        (#"{"ods": "Y01234", "name": 0, "kind": "urgent-care"}"#, "name", "must be a string"),
        (#"{"ods": "Y01234", "name": 1.5, "kind": "urgent-care"}"#, "name", "must be a string"),
        (#"{"ods": "Y01234", "name": "A", "kind": "urgent-care", "colour": "red"}"#, "colour", "unknown field"),
        (#"{"ods": "Y01234", "kind": "urgent-care"}"#, "name", "is required"),
        (#"{"ods": "Y01234", "name": "A", "kind": "urgent-care", "version": "1"}"#, "version", "must be a whole number"),
    ])
    func wrongTypesNullsAndUnknownFieldsAreRefusedNamingTheField(body: String, field: String, message: String) async throws {
        try await ProxyHarness.with(management: true) { harness in
            let response = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: body)
            #expect(response.status == 400, "\(response.body)")
            let issue = (response.object["issues"] as? [[String: Any]])?.first
            #expect(issue?["field"] as? String == field)
            #expect((issue?["message"] as? String)?.contains(message) == true, "\(response.body)")
            #expect(try await harness.manage(.GET, "/admin/organisations/Y01234", as: .adminToken).status == 404, "nothing stored")
        }
    }

    @Test func aNullFQDNIsNotTheFQDNNull() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let system = try await harness.manage(.GET, "/admin/systems/200000000359", as: .adminToken)
            var object = system.object
            object["certificateFQDN"] = NSNull()
            let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            let response = try await harness.manage(.PUT, "/admin/systems/200000000359", as: .adminToken, json: body,
                                                    headers: [("If-Match", system.headers.first(name: "ETag") ?? "")])
            #expect(response.status == 400)
            #expect(response.body.contains("certificateFQDN: must not be null"))
        }
    }

    /// Only JSON: YAML (with its anchors and tags) is another media type, and YAML sent as JSON is
    /// not JSON.
    @Test func onlyJSONIsRead() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let yaml = "ods: Y01234\nname: &n Urgent Treatment Centre\nkind: !!str urgent-care\n"
            #expect(try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: yaml, contentType: "application/yaml").status == 415)
            #expect(try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: yaml, contentType: "text/plain").status == 415)
            let asJSON = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: yaml)
            #expect(asJSON.status == 400)
            #expect(asJSON.object["error"] as? String == "malformed-json")
            let duplicated = try await harness.manage(.POST, "/admin/organisations", as: .adminToken,
                                                      json: #"{"ods": "Y01234", "ods": "Y05678", "name": "A", "kind": "other"}"#)
            #expect(duplicated.status == 400, "a repeated member is not JSON a reader can agree on")
        }
    }

    /// A dry run answers what the real batch would answer — 409, 404 or 422 — and applies nothing.
    @Test func aDryRunAnswersWhatTheBatchWould() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let generation = try await harness.manage(.GET, "/admin/organisations", as: .adminToken).object["generation"] as? Int
            let cases: [(String, Int, String)] = [
                (#"{"changes": [{"op": "create", "kind": "organisation", "entry": {"ods": "A81001", "name": "Again", "kind": "gp-practice"}}]}"#, 409, "already-exists"),
                (#"{"changes": [{"op": "retire", "kind": "system", "key": "918999198777"}]}"#, 404, "not-found"),
                (#"{"changes": [{"op": "retire", "kind": "organisation", "key": "A81001", "expectedVersion": 99}]}"#, 409, "version-conflict"),
                (#"{"changes": [{"op": "create", "kind": "system", "entry": {"asid": "918999198777", "ods": "ZZZ99", "partyKey": "ZZZ99-0001", "name": "X"}}]}"#,
                 422, "validation-failed"),
            ]
            for (batch, status, code) in cases {
                let dry = try await harness.manage(.POST, "/admin/batch?dryRun=true", as: .adminToken, json: batch)
                let real = try await harness.manage(.POST, "/admin/batch", as: .adminToken, json: batch)
                #expect(dry.status == status && real.status == status, "\(code): dry \(dry.status), real \(real.status): \(dry.body)")
                #expect(dry.object["error"] as? String == code && real.object["error"] as? String == code)
            }
            #expect(try await harness.manage(.GET, "/admin/organisations", as: .adminToken).object["generation"] as? Int == generation, "nothing applied")
        }
    }

    /// An invalid or misspelt parameter is `400` and changes nothing — on every route.
    @Test func unknownOrInvalidParametersChangeNothing() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let batch = #"{"changes": [{"op": "create", "kind": "organisation", "entry": {"ods": "Y01234", "name": "UTC", "kind": "urgent-care"}}]}"#
            for query in ["dryRun=1", "dryRun=TRUE", "dryRun=AAA", "dryrun=true", "dryRun=true&dryRun=true", "dryRun=false&x=1"] {
                let response = try await harness.manage(.POST, "/admin/batch?\(query)", as: .adminToken, json: batch)
                #expect(response.status == 400, "\(query): \(response.status)")
            }
            #expect(try await harness.manage(.GET, "/admin/organisations/Y01234", as: .adminToken).status == 404, "never applied")
            let routes: [(HTTPMethod, String, ProxyHarness.Caller)] = [
                (.GET, "/admin/organisations?colour=red", .adminToken), (.GET, "/admin/systems/200000000359?x=1", .adminToken),
                (.POST, "/admin/organisations?x=1", .adminToken), (.GET, "/admin/history?kind=system&sort=asc", .adminToken),
                (.GET, "/audit/exchanges?colour=red", .auditorToken), (.GET, "/audit/report?limit=5", .auditorToken),
                (.GET, "/audit/verify?nodes=a", .auditorToken), (.GET, "/audit/export?cursor=1", .auditorToken),
                (.GET, "/health?verbose=1", .nobody), (.GET, "/metrics?x", .nobody),
                (.GET, "/admin/organisations?status=gone", .adminToken), (.GET, "/admin/organisations?ods=not-an-ods", .adminToken),
            ]
            for (method, path, caller) in routes {
                let response = try await harness.manage(method, path, as: caller, json: method == .POST ? Self.organisation : nil)
                #expect(response.status == 400, "\(method) \(path): \(response.status) \(response.body)")
            }
            #expect(try await harness.manage(.GET, "/admin/organisations/Y01234", as: .adminToken).status == 404)
        }
    }

    /// Bodies are limited (1 MiB by default) and so is each field; no error echoes the body.
    @Test func bodiesAndFieldsAreLimited() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let long = String(repeating: "x", count: 201)
            let tooLong = try await harness.manage(.POST, "/admin/organisations", as: .adminToken,
                                                   json: #"{"ods": "Y01234", "name": "\#(long)", "kind": "other"}"#)
            #expect(tooLong.status == 400)
            #expect(tooLong.body.contains("name: is longer than 200 characters"))
            #expect(!tooLong.body.contains(long), "the error does not echo the body")
            for size in [11 << 20, 17 << 20] {
                let name = String(repeating: "n", count: size)
                let huge = try await harness.manage(.POST, "/admin/organisations", as: .adminToken,
                                                    json: #"{"ods": "Y01234", "name": "\#(name)", "kind": "other"}"#)
                #expect(huge.status == 413, "\(size) bytes: \(huge.status) \(huge.body.prefix(200))")
                #expect(huge.body.count < 1000)
            }
            let empty = try await harness.manage(.POST, "/admin/organisations", as: .adminToken, json: "")
            #expect(empty.status == 400 && empty.body.contains("the body is empty"))
        }
    }

    /// A method the document does not list is `405` with `Allow`; a path it does not list is a JSON `404`.
    @Test func methodsNotListedAre405WithAllow() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let patch = try await harness.manage(.PATCH, "/admin/organisations/A81001", as: .adminToken, json: "{}")
            #expect(patch.status == 405)
            #expect(patch.headers.first(name: "Allow") == "DELETE, GET, PUT")
            #expect(patch.object["error"] as? String == "method-not-allowed")
            let delete = try await harness.manage(.DELETE, "/audit/exchanges", as: .auditorToken)
            #expect(delete.status == 405 && delete.headers.first(name: "Allow") == "GET")
            let nowhere = try await harness.manage(.GET, "/admin/widgets", as: .adminToken)
            #expect(nowhere.status == 404 && nowhere.object["error"] as? String == "not-found")
        }
    }

    @Test func tooManyFailuresIs429WithRetryAfter() async throws {
        try await ProxyHarness.with(management: true) { harness in
            var last: ProxyHarness.Response?
            for _ in 0..<12 { last = try await harness.manage(.GET, "/admin/systems", as: .badToken) }
            #expect(last?.status == 429)
            #expect((1...60).contains(Int(last?.headers.first(name: "Retry-After") ?? "") ?? 0))
        }
    }
}
