import Foundation
public import Logging
import SwitchboardCore

extension ExchangeRecord {
    /// The record as the fields of its access-log line: who, what, how it ended, how long.
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            LogKey.exchangeID: "\(id.uuidString.lowercased())",
            LogKey.method: "\(method)",
            LogKey.outcome: "\(outcome.rawValue)",
            LogKey.client: "\(clientAddress)",
            LogKey.node: "\(node)",
        ]
        func add(_ key: String, _ value: String?) {
            if let value { metadata[key] = "\(value)" }
        }
        add(LogKey.traceID, traceID)
        add(LogKey.fromASID, fromASID?.rawValue)
        add(LogKey.toASID, toASID?.rawValue)
        add(LogKey.fromODS, fromODS?.rawValue)
        add(LogKey.toODS, toODS?.rawValue)
        add(LogKey.interaction, interaction?.rawValue)
        add(LogKey.status, status.map(String.init))
        add(LogKey.phase, refusalPhase)
        add(LogKey.rule, refusalRule)
        add(LogKey.durationMicroseconds, durationMicroseconds.map(String.init))
        add(LogKey.upstreamMicroseconds, upstreamMicroseconds.map(String.init))
        return metadata
    }
}
