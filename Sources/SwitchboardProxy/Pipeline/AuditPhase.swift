import Foundation
import Logging
import NIOCore
import SwitchboardAudit
import SwitchboardCore

/// Audit: the step every exchange ends with, whatever happened before it (Pingora's `logging`
/// phase). It opens a record before a request is forwarded, and completes it — outcome, status,
/// timing, metrics and the access-log line — before the end of any answer is sent. Its answers
/// arrive on the exchange's event loop.
struct AuditPhase: Sendable {
    let recorder: any ExchangeRecorder
    let metrics: ProxyMetrics?
    let logger: Logger
    let groups: AuditGroups

    init(recorder: any ExchangeRecorder, metrics: ProxyMetrics?, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
        groups = AuditGroups(recorder: recorder, eventLoopGroup: eventLoopGroup)
    }

    /// Makes the open record durable; `done(true)` once it is, `done(false)` if the store refused it.
    func open(_ record: ExchangeRecord, on eventLoop: any EventLoop, done: @escaping (Bool) -> Void) {
        let logger = self.logger
        groups.submit(AuditEntry(kind: .open, record: record), on: eventLoop) { result in
            if case .failure(let error) = result {
                logger.error("audit store refused to open a record; answering 503",
                             metadata: [LogKey.exchangeID: "\(record.id.uuidString.lowercased())", LogKey.error: "\(error)"])
            }
            done(result.isSuccess)
        }
    }

    /// Completes the record with `outcome` and `status` and makes it durable; `done(true)` once it
    /// is, `done(false)` if the store refused it.
    func complete(_ context: inout ExchangeContext, outcome: ExchangeRecord.Outcome, status: Int, on eventLoop: any EventLoop,
                  done: @escaping (Bool) -> Void) {
        context.record.outcome = outcome
        context.record.status = status
        context.record.completedAt = Date()
        context.record.durationMicroseconds = context.started.duration(to: .now).microseconds
        metrics?.record(context.record, catalogued: context.slot != nil)
        let record = context.record
        let logger = self.logger
        groups.submit(AuditEntry(kind: .complete, record: record), on: eventLoop) { result in
            switch result {
            case .success:
                logger.info("exchange", metadata: record.logMetadata)
            case .failure(let error):
                logger.error("audit store refused to complete a record",
                             metadata: [LogKey.exchangeID: "\(record.id.uuidString.lowercased())", LogKey.error: "\(error)"])
            }
            done(result.isSuccess)
        }
    }

    /// Keeps, for after the outage, the record of an exchange answered because the store failed.
    func deferAnswered(_ refusal: ProxyRefusal, context: inout ExchangeContext) {
        refusal.mark(&context.record)
        context.record.outcome = .refused
        context.record.completedAt = Date()
        context.record.durationMicroseconds = context.started.duration(to: .now).microseconds
        recorder.deferUntilRecovered(context.record)
    }

    /// Records an answer given before any exchange could be read (plain HTTP on the TLS port, a
    /// request the HTTP parser could not read) under `id`; `done(true)` once durable.
    func record(_ refusal: ProxyRefusal, id: UUID = .timeOrdered(), node: String, client: ClientIdentity, method: String, targetURL: String,
                on eventLoop: any EventLoop, done: @escaping (Bool) -> Void) {
        var record = ExchangeRecord(id: id, node: node, receivedAt: Date(), clientAddress: client.address, method: method, targetURL: targetURL)
        record.certificateSubject = client.certificate?.subject
        record.certificateFQDN = client.certificate?.fqdn
        refusal.mark(&record)
        record.completedAt = Date()
        let done = NIOLoopBound(done, eventLoop: eventLoop)
        let recorder = self.recorder
        let kept = record
        recorder.complete(kept) { result in
            if case .failure = result { recorder.deferUntilRecovered(kept) }
            eventLoop.execute { done.value(result.isSuccess) }
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
