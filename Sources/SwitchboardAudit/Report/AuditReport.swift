public import Foundation
import SwitchboardCore

/// Volume figures commissioners ask for: exchanges, refusals and errors, and latency
/// percentiles, by provider, consumer, interaction and day.
public struct AuditReport: Sendable, Codable, Hashable {
    /// One group's figures.
    public struct Row: Sendable, Codable, Hashable {
        public var key: String
        public var exchanges: Int
        public var forwarded: Int
        public var refused: Int
        /// Provider failures, time-outs, consumers gone, interrupted exchanges, and 5xx answers.
        public var errors: Int
        public var errorRate: Double
        /// Whole-exchange duration percentiles, in milliseconds.
        public var p50Milliseconds: Double?
        public var p95Milliseconds: Double?
        public var p99Milliseconds: Double?
    }

    public var since: Date?
    public var until: Date?
    public var total: Row
    public var byProvider: [Row]
    public var byConsumer: [Row]
    public var byInteraction: [Row]
    public var byDay: [Row]
    /// Refusals counted by rule, e.g. `ASID_CHECK_FAILED`.
    public var refusalsByRule: [String: Int]

    /// Builds the report for the exchanges `query` selects (its paging is ignored).
    public static func build(from store: any AuditStore, query: AuditQuery) async throws -> AuditReport {
        let accumulator = try await store.reduceExchanges(query, into: Accumulator()) { accumulator, record in accumulator.add(record) }
        return accumulator.report(since: query.since, until: query.until)
    }

    struct Accumulator: Sendable {
        struct Group: Sendable {
            var exchanges = 0, forwarded = 0, refused = 0, errors = 0
            var durations: [Int64] = []
        }

        var total = Group()
        var provider: [String: Group] = [:]
        var consumer: [String: Group] = [:]
        var interaction: [String: Group] = [:]
        var day: [String: Group] = [:]
        var rules: [String: Int] = [:]

        mutating func add(_ record: ExchangeRecord) {
            let isError: Bool = switch record.outcome {
            case .upstreamFailed, .upstreamTimeout, .clientClosed, .interrupted: true
            default: (record.status ?? 0) >= 500
            }
            func update(_ group: inout Group) {
                group.exchanges += 1
                if record.outcome == .forwarded { group.forwarded += 1 }
                if record.outcome == .refused { group.refused += 1 }
                if isError { group.errors += 1 }
                if let duration = record.durationMicroseconds { group.durations.append(duration) }
            }
            update(&total)
            update(&provider[record.toASID?.rawValue ?? "(none)", default: Group()])
            update(&consumer[record.fromASID?.rawValue ?? "(none)", default: Group()])
            update(&interaction[record.interaction?.rawValue ?? "(none)", default: Group()])
            update(&day[String(Timestamp.rfc3339(record.receivedAt).prefix(10)), default: Group()])
            if record.outcome == .refused, let rule = record.refusalRule { rules[rule, default: 0] += 1 }
        }

        func row(_ key: String, _ group: Group) -> Row {
            let sorted = group.durations.sorted()
            func percentile(_ p: Double) -> Double? {
                guard !sorted.isEmpty else { return nil }
                let index = min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)
                return Double(sorted[max(0, index)]) / 1000
            }
            return Row(key: key, exchanges: group.exchanges, forwarded: group.forwarded, refused: group.refused, errors: group.errors,
                       errorRate: group.exchanges == 0 ? 0 : Double(group.errors) / Double(group.exchanges),
                       p50Milliseconds: percentile(0.50), p95Milliseconds: percentile(0.95), p99Milliseconds: percentile(0.99))
        }

        func rows(_ groups: [String: Group]) -> [Row] {
            groups.keys.sorted().map { row($0, groups[$0]!) }
        }

        func report(since: Date?, until: Date?) -> AuditReport {
            AuditReport(since: since, until: until, total: row("all", total), byProvider: rows(provider), byConsumer: rows(consumer),
                        byInteraction: rows(interaction), byDay: rows(day), refusalsByRule: rules)
        }
    }

    /// JSON, keys sorted.
    public func json() throws -> Data {
        try SwitchboardJSON.encoder(pretty: true).encode(self)
    }

    /// CSV: one line per group (`group,key,…`), then refusals by rule.
    public func csv() -> String {
        func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "" }
        var lines = ["group,key,exchanges,forwarded,refused,errors,error_rate,p50_ms,p95_ms,p99_ms"]
        for (group, rows) in [("total", [total]), ("provider", byProvider), ("consumer", byConsumer), ("interaction", byInteraction), ("day", byDay)] {
            for row in rows {
                lines.append([group, AuditExport.quote(row.key), "\(row.exchanges)", "\(row.forwarded)", "\(row.refused)", "\(row.errors)",
                              String(format: "%.4f", row.errorRate), format(row.p50Milliseconds), format(row.p95Milliseconds), format(row.p99Milliseconds)]
                    .joined(separator: ","))
            }
        }
        for (rule, count) in refusalsByRule.sorted(by: { $0.key < $1.key }) {
            lines.append("refusal_rule,\(AuditExport.quote(rule)),\(count),,,,,,,")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
