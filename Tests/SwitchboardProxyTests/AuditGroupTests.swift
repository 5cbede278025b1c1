import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardAudit
import SwitchboardCore
import SwitchboardTesting
import Testing
@testable import SwitchboardProxy

/// The records an event loop writes itself: a real event loop, the real audit writer and a
/// journal in a temporary folder.
@Suite struct AuditGroupTests {
    static func record() -> ExchangeRecord {
        ExchangeRecord(id: .timeOrdered(), node: "node-a", receivedAt: Date(), clientAddress: "127.0.0.1", method: "GET",
                       targetURL: "https://provider.example/A81001/STU3/1/gpconnect/Slot")
    }

    /// Submits `kinds` on `loop` in one tick; returns what each continuation was told, in order.
    static func submitInOneTick(_ kinds: [AuditEntry.Kind], to groups: AuditGroups, on loop: any EventLoop) async throws -> [String] {
        let told = NIOLockedValueBox<[String]>([])
        try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            var answered: [EventLoopFuture<Void>] = []
            for (number, kind) in kinds.enumerated() {
                let promise = loop.makePromise(of: Void.self)
                groups.submit(AuditEntry(kind: kind, record: Self.record()), on: loop) { result in
                    let outcome = if case .success = result { "durable" } else { "refused" }
                    told.withLockedValue { $0.append("\(kind.rawValue) \(number) \(outcome)") }
                    promise.succeed()
                }
                answered.append(promise.futureResult)
            }
            #expect(told.withLockedValue { $0 }.isEmpty, "nothing is written before the loop has handled its events")
            return EventLoopFuture.andAllSucceed(answered, on: loop)
        }.get()
        return told.withLockedValue { $0 }
    }

    @Test func aTicksOpenedRecordsGoOnAtOnceAndItsCompletedOnesShareOneSync() async throws {
        try await withTemporaryDirectory { folder in
            let store = try await JournaledAuditStore.open(
                index: try SQLiteAuditStore(path: folder.appendingPathComponent("audit.sqlite").path),
                settings: .init(folder: folder.appendingPathComponent("audit.journal")))
            let writer = AuditWriter(store: store, settings: .init(node: "node-a"), logger: Logger(label: "test"))
            let writerTask = Task { try await writer.run() }
            defer { writerTask.cancel() }
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let groups = AuditGroups(recorder: writer, eventLoopGroup: loops)
            let loop = loops.next()

            // The node's first group goes through the writer's own group commit (it reads the
            // chain's head from the index); the loop writes every group after it.
            #expect(try await Self.submitInOneTick([.complete], to: groups, on: loop) == ["complete 0 durable"])
            let before = writer.statistics
            let told = try await Self.submitInOneTick([.open, .complete, .open, .complete, .complete], to: groups, on: loop)
            #expect(told == ["open 0 durable", "open 2 durable", "complete 1 durable", "complete 3 durable", "complete 4 durable"])
            let after = writer.statistics
            #expect(after.records - before.records == 5)
            #expect(after.commits - before.commits == 2, "one group of opened records, one sync for the completed ones")
            #expect(try await store.exchanges(AuditQuery()).records.count == 6)
            #expect(try await store.verify(node: nil).isIntact)
            try await loops.shutdownGracefully()
        }
    }

    @Test func aRecorderThatCannotWriteOnTheLoopGetsTheRecordsOneByOne() async throws {
        let recorder = InMemoryExchangeRecorder()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let groups = AuditGroups(recorder: recorder, eventLoopGroup: loops)
        let loop = loops.next()
        #expect(try await Self.submitInOneTick([.open, .complete], to: groups, on: loop) == ["open 0 durable", "complete 1 durable"])
        #expect(recorder.opened.count == 1)
        #expect(recorder.completed.count == 1)
        recorder.setFailure(AuditStoreError.unavailable("disk full"))
        #expect(try await Self.submitInOneTick([.open, .complete], to: groups, on: loop) == ["open 0 refused", "complete 1 refused"])
        try await loops.shutdownGracefully()
    }
}
