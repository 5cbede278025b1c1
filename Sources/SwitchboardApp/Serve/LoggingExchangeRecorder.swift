import Foundation
public import Logging
public import SwitchboardAudit

/// Writes each completed exchange to the log as one structured line (an access log). Not an
/// audit store: nothing here is durable or tamper-evident.
public struct LoggingExchangeRecorder: ExchangeRecorder {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func open(_ record: ExchangeRecord) async throws {}

    public func deferUntilRecovered(_ record: ExchangeRecord) {}

    public func complete(_ record: ExchangeRecord) async throws {
        logger.info("exchange", metadata: [
            "sb.exchange.id": "\(record.id)", "sb.trace.id": "\(record.traceID ?? "")", "sb.status": "\(record.status ?? 0)",
            "sb.outcome": "\(record.outcome.rawValue)", "sb.rule": "\(record.refusalRule ?? "")", "sb.from": "\(record.fromASID ?? "")",
            "sb.to": "\(record.toASID ?? "")", "sb.interaction": "\(record.interaction ?? "")",
            "sb.duration.us": "\(record.durationMicroseconds ?? 0)",
        ])
    }
}
