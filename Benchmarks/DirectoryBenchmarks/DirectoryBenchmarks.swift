import Benchmark
import Foundation
import SwitchboardCore
import SwitchboardDirectory

/// 100,000 GP practices, each with an organisation, a provider system and an endpoint serving the
/// 15 catalogue interactions; 1,000 consumer systems; one agreement per consumer.
enum LargeDirectory {
    static let practices = 100_000
    static let consumers = 1_000

    static let interactions: [Interaction] = [
        ("rest:read:metadata-1", HTTPMethodName.GET, "/metadata", "organization/*.read"),
        ("rest:search:slot-1", .GET, "/Slot", "organization/*.read"),
        ("rest:create:appointment-1", .POST, "/Appointment", "patient/*.write"),
        ("rest:read:appointment-1", .GET, "/Appointment/{id}", "patient/*.read"),
        ("rest:update:appointment-1", .PUT, "/Appointment/{id}", "patient/*.write"),
        ("rest:cancel:appointment-1", .PUT, "/Appointment/{id}", "patient/*.write"),
        ("rest:search:patient_appointments-1", .GET, "/Patient/{id}/Appointment", "patient/*.read"),
        ("rest:read:patient-1", .GET, "/Patient/{id}", "patient/*.read"),
        ("rest:search:patient-1", .GET, "/Patient", "patient/*.read"),
        ("operation:gpc.registerpatient-1", .POST, "/Patient/$gpc.registerpatient", "patient/*.write"),
        ("rest:read:practitioner-1", .GET, "/Practitioner/{id}", "organization/*.read"),
        ("rest:search:practitioner-1", .GET, "/Practitioner", "organization/*.read"),
        ("rest:read:organization-1", .GET, "/Organization/{id}", "organization/*.read"),
        ("rest:search:organization-1", .GET, "/Organization", "organization/*.read"),
        ("rest:read:location-1", .GET, "/Location/{id}", "organization/*.read"),
    ].map { suffix, method, path, scope in
        Interaction(id: InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:" + suffix), name: suffix, method: method,
                    path: try! PathPattern(validating: path), scope: scope)
    }

    static func practiceODS(_ n: Int) -> ODSCode { ODSCode(trusted: "P" + String(format: "%06d", n)) }
    static func practiceASID(_ n: Int) -> ASID { ASID(trusted: "9" + String(format: "%011d", n)) }
    static func consumerASID(_ n: Int) -> ASID { ASID(trusted: "2" + String(format: "%011d", n)) }
    static func address(_ n: Int) -> String { "https://gpconnect.supplier\(n % 7).thirdparty.nhs.uk/\(practiceODS(n))/STU3/1/gpconnect" }

    static let tables: DirectoryTables = {
        var tables = DirectoryTables()
        let ids = interactions.map(\.id)
        for interaction in interactions { tables.put(.interaction(interaction)) }
        for n in 0..<practices {
            let ods = practiceODS(n)
            let partyKey = PartyKey(trusted: "\(ods)-\(String(format: "%07d", n))")
            tables.put(.organisation(Organisation(ods: ods, name: "Practice \(n)", kind: .gpPractice)))
            tables.put(.system(AccreditedSystem(asid: practiceASID(n), ods: ods, partyKey: partyKey, name: "GP system", receives: ids)))
            tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S\(n)"), partyKey: partyKey, ods: ods,
                                          address: try! EndpointAddress(validating: address(n)), interactions: ids)))
        }
        for n in 0..<consumers {
            let ods = ODSCode(trusted: "C" + String(format: "%05d", n))
            tables.put(.organisation(Organisation(ods: ods, name: "111 provider \(n)", kind: .urgentCare)))
            tables.put(.system(AccreditedSystem(asid: consumerASID(n), ods: ods, partyKey: PartyKey(trusted: "\(ods)-0000001"), name: "111 system",
                                                certificateFQDN: "c\(n).thirdparty.nhs.uk", sends: ids)))
            tables.put(.agreement(SharingAgreement(id: AgreementID(trusted: "a\(n)"), description: "", consumer: .ods(ods), provider: .any, interactions: .any)))
        }
        return tables
    }()

    /// Writes `tables` into a new SQLite directory store (benchmark set-up, not measured).
    static func makeStore() async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-directory-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let directory = try await Directory(store: try SQLiteDirectoryStore(path: path))
        try await directory.replaceAll(with: tables, author: ChangeAuthor(actor: "benchmark", source: .import))
        return path
    }
}

let benchmarks: @Sendable () -> Void = {
    let heavy = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds,
                                        warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5)

    Benchmark("Directory: load 100k systems + 100k endpoints from SQLite into a snapshot", configuration: heavy) { benchmark, path in
        let store = try SQLiteDirectoryStore(path: path)
        benchmark.startMeasurement()
        let stored = try await store.load()
        let snapshot = DirectorySnapshot(tables: stored.tables, generation: stored.generation)
        benchmark.stopMeasurement()
        precondition(snapshot.tables.systems.count == LargeDirectory.practices + LargeDirectory.consumers)
        blackHole(snapshot)
    } setup: {
        try await LargeDirectory.makeStore()
    }

    Benchmark("Directory: build a snapshot of 100k systems + 100k endpoints (in memory)", configuration: heavy) { benchmark, tables in
        for _ in benchmark.scaledIterations {
            blackHole(DirectorySnapshot(tables: tables, generation: 1))
        }
    } setup: {
        LargeDirectory.tables
    }

    Benchmark("Directory: validate 100k systems + 100k endpoints", configuration: heavy) { benchmark, tables in
        for _ in benchmark.scaledIterations {
            let issues = DirectoryValidator().validate(tables)
            precondition(issues.isEmpty, "\(issues.prefix(3))")
        }
    } setup: {
        LargeDirectory.tables
    }

    let lookup = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .nanoseconds,
                                         warmupIterations: 1_000, scalingFactor: .kilo, maxDuration: .seconds(5))

    Benchmark("Lookup: sender, receiver, sharing and target URL for one exchange (100k directory)", configuration: lookup) { benchmark, holder in
        let slot = LargeDirectory.interactions[1].id
        let requests = (0..<1_024).map { n -> (ASID, ASID, String) in
            let practice = (n * 7_919) % LargeDirectory.practices
            return (LargeDirectory.consumerASID(n % LargeDirectory.consumers), LargeDirectory.practiceASID(practice),
                    LargeDirectory.address(practice) + "/Slot?status=free&start=ge2026-11-26&end=le2026-12-03")
        }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let (from, to, url) = requests[i & 1_023]
            // What the identify, validate and authorise phases ask, in their order.
            let current = holder.snapshot
            guard let entry = current.catalogueSlot(slot),
                  let sender = current.routableSystem(from), sender.sends(entry),
                  let receiver = current.routableSystem(to), receiver.receives(entry),
                  let endpoint = current.endpoint(partyKey: receiver.system.partyKey, slot: entry),
                  current.sharingAllows(from: sender, to: receiver, slot: entry),
                  case .underEndpoint = DirectorySnapshot.match(url[...], against: endpoint)
            else { fatalError("lookup failed") }
            blackHole(endpoint)
        }
    } setup: {
        DirectorySnapshotHolder(DirectorySnapshot(tables: LargeDirectory.tables, generation: 1))
    }

    Benchmark("Lookup: endpoint by party key + interaction (100k directory)", configuration: lookup) { benchmark, snapshot in
        let keys = (0..<1_024).map { n in snapshot.system(LargeDirectory.practiceASID((n * 7_919) % LargeDirectory.practices))!.partyKey }
        let slot = LargeDirectory.interactions[1].id
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(snapshot.endpoint(partyKey: keys[i & 1_023], interaction: slot))
        }
    } setup: {
        DirectorySnapshot(tables: LargeDirectory.tables, generation: 1)
    }
}
