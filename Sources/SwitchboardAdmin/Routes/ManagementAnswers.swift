import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory

/// Writes the management API's answers: each is an `Encodable` type, written by
/// ``SwitchboardJSON`` as `application/json` and never cached.
public struct ManagementJSONEncoder: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try SwitchboardJSON.encoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ResponseEncodable {
    /// This answer with `status` and `headers` added to the encoder's.
    func response(_ request: Request, _ context: ManagementContext, status: HTTPResponse.Status = .ok,
                  headers: HTTPFields = [:]) throws -> Response {
        var response = try response(from: request, context: context)
        response.status = status
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}

/// One directory entry: its own fields.
struct EntryAnswer: ResponseEncodable {
    var entry: DirectoryEntry

    func encode(to encoder: any Encoder) throws { try entry.encode(to: encoder) }
}

/// `GET /admin/<kind>`: the directory generation read and the entries of one kind.
struct EntryListAnswer: ResponseEncodable {
    var generation: Int64
    var entries: [DirectoryEntry]
}

/// `GET /admin/history`: recorded changes, newest first.
struct HistoryAnswer: ResponseEncodable {
    struct Change: Encodable {
        var record: HistoryRecord

        enum CodingKeys: String, CodingKey {
            case sequence, generation, at, actor, source, reason, action, kind, key, before, after
        }

        /// Every field is present; an absent reason, before or after is `null`.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(record.sequence, forKey: .sequence)
            try container.encode(record.generation, forKey: .generation)
            try container.encode(record.at, forKey: .at)
            try container.encode(record.author.actor, forKey: .actor)
            try container.encode(record.author.source.rawValue, forKey: .source)
            try container.encode(record.author.reason, forKey: .reason)
            try container.encode(record.action.rawValue, forKey: .action)
            try container.encode(record.ref.kind.rawValue, forKey: .kind)
            try container.encode(record.ref.key, forKey: .key)
            try container.encode(record.before, forKey: .before)
            try container.encode(record.after, forKey: .after)
        }
    }

    var changes: [Change]
}

/// A batch's result, applied or previewed (`dryRun`): each entry changed, before and after.
struct ChangesAnswer: ResponseEncodable {
    struct Change: Encodable {
        var action: String
        var kind: String
        var key: String
        var before: DirectoryEntry?
        var after: DirectoryEntry?

        init(_ change: EntryChange) {
            action = change.action.rawValue
            kind = change.ref.kind.rawValue
            key = change.ref.key
            before = change.before
            after = change.after
        }
    }

    var generation: Int64
    var changes: [Change]
    var dryRun: Bool
}

/// One page of an audit search: the records, newest first, and where the next page starts.
struct ExchangePageAnswer: ResponseEncodable {
    var records: [ExchangeRecord]
    var nextCursor: String?
}

/// One exchange's record.
struct ExchangeAnswer: ResponseEncodable {
    var record: ExchangeRecord

    func encode(to encoder: any Encoder) throws { try record.encode(to: encoder) }
}

/// `GET /audit/report` as JSON.
struct ReportAnswer: ResponseEncodable {
    var report: AuditReport

    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }
}

/// `GET /audit/verify`: whether every chain (or one node's) is intact, and each chain's walk.
struct VerificationAnswer: ResponseEncodable {
    var intact: Bool
    var records: Int
    var chains: [ChainVerification.NodeChain]
}

/// `GET /health` and `GET /ready`.
struct StatusAnswer: ResponseEncodable {
    var status: String
    /// `/ready` only: each check's name and `ok` or what is wrong.
    var checks: [String: String]?
}
