public import Foundation
public import SwitchboardCore

/// Which exchanges to read. Every filter is optional; set filters all apply.
public struct AuditQuery: Sendable, Hashable {
    /// Received at or after.
    public var since: Date?
    /// Received before.
    public var until: Date?
    public var traceID: String?
    public var correlationID: String?
    public var fromASID: ASID?
    public var toASID: ASID?
    /// Either side of the exchange.
    public var asid: ASID?
    /// Either side's organisation.
    public var ods: ODSCode?
    public var interaction: InteractionID?
    public var status: Int?
    public var outcome: ExchangeRecord.Outcome?
    /// The requesting user's SDS user id (JWT).
    public var userID: String?
    public var resourceType: String?
    public var resourceID: String?
    /// The look-up of an NHS number (``NHSNumberKey/lookUp(_:)``): the exchanges whose request named it.
    public var nhsNumberHMAC: String?
    public var node: String?
    /// Page size, 1–1000.
    public var limit: Int = 100
    /// Continue after this cursor (from the previous page).
    public var cursor: Int64?
    /// Exchanges through the proxy (the default) or calls to the management API.
    public var scope: Scope = .exchanges
    /// Newest first (searching), or oldest first (exporting a period in the order it happened).
    public var order: Order = .newestFirst
    /// A column to sort the whole result by (the console's column headers), newest first among
    /// equals; pages then follow by ``offset`` instead of a cursor.
    public var sort: SortKey?
    /// Records of the sorted result to skip (with ``sort``).
    public var offset: Int = 0

    /// What a page of exchanges can be sorted by, and the column each sorts.
    public enum SortKey: String, Sendable, Hashable, CaseIterable {
        case received, trace, from, to, interaction, method, status, outcome, duration

        public var column: String {
            switch self {
            case .received: "received_us"
            case .trace: "trace_id"
            case .from: "from_asid"
            case .to: "to_asid"
            case .interaction: "interaction"
            case .method: "method"
            case .status: "status"
            case .outcome: "outcome"
            case .duration: "duration_us"
            }
        }
    }

    /// The order records are read in; a cursor continues in the same order.
    public enum Order: String, Sendable, Hashable {
        case newestFirst
        case oldestFirst
    }

    /// Which records a query reads.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case exchanges
        /// Admin and audit API calls, allowed or refused: who did what to the routing tables or read the log.
        case management
    }

    public init() {}

    /// Whether the query filters on a field of the record (not only time, node or paging). Such
    /// filters match exchanges once they have finished (completed or interrupted), except an
    /// `outcome=in-progress` filter, which matches exchanges still under way.
    public var hasFieldFilter: Bool {
        if outcome == .inProgress { return false }
        let fields: [Any?] = [traceID, correlationID, fromASID, toASID, asid, ods, interaction, status, outcome, userID, resourceType, resourceID,
                              nhsNumberHMAC]
        return fields.contains { $0 != nil }
    }

    /// The query parameters `GET /audit/exchanges` and `switchboard audit query` accept.
    public static let parameterNames = [
        "since", "until", "trace-id", "correlation-id", "from-asid", "to-asid", "asid", "ods", "interaction", "status", "outcome",
        "user-id", "resource-type", "resource-id", "nhs-number", "node", "limit", "cursor", "scope",
    ]

    /// Reads a query from named text parameters, refusing unknown names and bad values. An
    /// `nhs-number` is looked up with `nhsNumberKey` (and refused without one); the number itself
    /// is not kept.
    public init(parameters: [(String, String)], nhsNumberKey: NHSNumberKey? = nil) throws(AuditQueryError) {
        var seen = Set<String>()
        for (name, value) in parameters {
            guard Self.parameterNames.contains(name) else {
                throw AuditQueryError(parameter: name, message: "unknown filter (known: \(Self.parameterNames.joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else { throw AuditQueryError(parameter: name, message: "given more than once") }
            func text(_ maximum: Int = 256) throws(AuditQueryError) -> String {
                guard !value.isEmpty, value.count <= maximum, value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                    throw AuditQueryError(parameter: name, message: "must be 1 to \(maximum) printable characters")
                }
                return value
            }
            func parseASID() throws(AuditQueryError) -> ASID {
                guard let asid = ASID(value) else {
                    throw AuditQueryError(parameter: name, message: "'\(value.prefix(40))' is not a 12-digit ASID")
                }
                return asid
            }
            switch name {
            case "since": since = try Self.date(value, parameter: name, endOfDay: false)
            case "until": until = try Self.date(value, parameter: name, endOfDay: true)
            case "trace-id": traceID = try text()
            case "correlation-id": correlationID = try text()
            case "from-asid": fromASID = try parseASID()
            case "to-asid": toASID = try parseASID()
            case "asid": asid = try parseASID()
            case "ods":
                guard let code = ODSCode(value) else {
                    throw AuditQueryError(parameter: name, message: "'\(value.prefix(40))' is not an ODS code")
                }
                ods = code
            case "interaction":
                do { interaction = try InteractionID(validating: value) } catch {
                    throw AuditQueryError(parameter: name, message: error.description)
                }
            case "status":
                guard let code = Int(value), (100...599).contains(code) else { throw AuditQueryError(parameter: name, message: "'\(value.prefix(40))' is not an HTTP status") }
                status = code
            case "outcome":
                guard let parsed = ExchangeRecord.Outcome(rawValue: value) else {
                    throw AuditQueryError(parameter: name, message: "must be one of \(ExchangeRecord.Outcome.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                outcome = parsed
            case "user-id": userID = try text()
            case "resource-type": resourceType = try text(64)
            case "resource-id": resourceID = try text(64)
            case "nhs-number":
                let number: NHSNumber
                do { number = try NHSNumber(validating: value) } catch {
                    let ofItsForm = value.utf8.count == 10 && value.utf8.allSatisfy(CharacterRules.isDigit)
                    throw AuditQueryError(parameter: name, message: "is not an NHS number: it \(error.reason)", unprocessable: ofItsForm)
                }
                guard let nhsNumberKey else {
                    throw AuditQueryError(parameter: name, message: "records hold no NHS number look-ups here: audit.nhsNumberKey is not set", unprocessable: true)
                }
                nhsNumberHMAC = nhsNumberKey.lookUp(number)
            case "node":
                guard NodeID.isValid(value) else {
                    throw AuditQueryError(parameter: name, message: "must be a node id: \(NodeID.rule)")
                }
                node = value
            case "scope":
                guard let parsed = Scope(rawValue: value) else {
                    throw AuditQueryError(parameter: name, message: "must be one of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                scope = parsed
            case "limit":
                guard let number = Int(value), (1...1000).contains(number) else { throw AuditQueryError(parameter: name, message: "must be 1 to 1000") }
                limit = number
            case "cursor":
                guard let number = Int64(value), number > 0 else { throw AuditQueryError(parameter: name, message: "is not a cursor from a previous page") }
                cursor = number
            default: break
            }
        }
    }

    /// `2026-11-26` (the day's start in UTC, or its end for `until`) or an RFC 3339 date-time.
    static func date(_ text: String, parameter: String, endOfDay: Bool) throws(AuditQueryError) -> Date {
        if text.utf8.count == 10, let day = Timestamp.parse(text + "T00:00:00Z") {
            return endOfDay ? day.addingTimeInterval(86_400) : day
        }
        if let instant = Timestamp.parse(text) { return instant }
        throw AuditQueryError(parameter: parameter, message: "'\(text.prefix(40))' is not a date (2026-11-26) or an RFC 3339 time with its zone (2026-11-26T14:00:00Z)")
    }
}

/// A query parameter that cannot be used, with why.
public struct AuditQueryError: Error, Hashable, Sendable, CustomStringConvertible {
    public var parameter: String
    public var message: String
    /// Of its form, but not usable for a reason its form cannot show (an NHS number's check
    /// digit, a look-up this deployment has no key for): the API answers 422, not 400.
    public var unprocessable: Bool

    public init(parameter: String, message: String, unprocessable: Bool = false) {
        self.parameter = parameter
        self.message = message
        self.unprocessable = unprocessable
    }

    public var description: String { "\(parameter): \(message)" }
}

/// One page of exchanges.
public struct AuditPage: Sendable {
    public var records: [ExchangeRecord]
    /// Pass as `cursor` for the next page; `nil` when this is the last.
    public var nextCursor: Int64?

    public init(records: [ExchangeRecord], nextCursor: Int64?) {
        self.records = records
        self.nextCursor = nextCursor
    }

    /// A page from up to `limit + 1` rows read newest first (sequence, record): the extra row,
    /// if there is one, only says that another page follows.
    public init(rows: [(Int64, ExchangeRecord)], limit: Int) {
        let page = rows.prefix(limit)
        self.init(records: page.map(\.1), nextCursor: rows.count > limit ? page.last?.0 : nil)
    }
}
