import Crypto
import SwitchboardCore
import Foundation

/// How an audit row is laid out, hashed and read back; shared by every SQL store.
///
/// A row's hash is SHA-256 over the previous row's hash (hex) and the row's canonical form: every
/// column below except the hash itself, each written as `<byte count>:<text>` (or `-` when
/// absent), so no value can be mistaken for another.
public enum AuditRowCoding {
    /// A column value, independent of the database driver.
    public enum Value: Hashable, Sendable {
        case text(String)
        case integer(Int64)
        case null

        /// `<byte count>:<text>`, `i:<value>` or `-`.
        func appendCanonical(to bytes: inout [UInt8]) {
            switch self {
            case .text(let text):
                Self.appendDecimal(Int64(text.utf8.count), to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(contentsOf: text.utf8)
            case .integer(let value):
                bytes.append(UInt8(ascii: "i"))
                bytes.append(UInt8(ascii: ":"))
                Self.appendDecimal(value, to: &bytes)
            case .null:
                bytes.append(UInt8(ascii: "-"))
            }
        }

        static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            var digits: (UInt64, Int) = (0, 0)
            repeat {
                digits.0 = digits.0 &* 10 &+ magnitude % 10
                digits.1 += 1
                magnitude /= 10
            } while magnitude > 0 && digits.1 < 18
            if magnitude > 0 {
                // Wider than 18 digits: rare enough to take the general path.
                bytes.append(contentsOf: String(value.magnitude).utf8)
                return
            }
            for _ in 0..<digits.1 {
                bytes.append(UInt8(ascii: "0") + UInt8(digits.0 % 10))
                digits.0 /= 10
            }
        }
    }

    /// The hash a chain starts from.
    public static let genesis = String(repeating: "0", count: 64)

    /// Content columns, in canonical order (the chain columns `node`, `node_seq`, `prev_hash`
    /// come first in the hash; `hash` is not hashed).
    public static let contentColumns = [
        "kind", "exchange_id", "received_us", "completed_us", "duration_us", "upstream_us", "client_address", "certificate_subject",
        "certificate_fqdn", "trace_id", "correlation_id", "from_asid", "from_ods", "to_asid", "to_ods", "interaction", "method",
        "target_url", "status", "outcome", "refusal_phase", "refusal_rule", "refusal_token", "bytes_in", "bytes_out",
        "request_sha256", "response_sha256", "user_id", "user_role", "user_name", "org_ods", "org_name", "device", "reason",
        "scope", "issuer", "resource_type", "resource_id", "response_location", "response_etag",
        "nhs_number_hmac",
    ]

    /// The content columns of the first schema. A column added since is hashed only when it holds
    /// a value, so every row written before it still verifies.
    public static let firstContentColumns = Array(contentColumns.prefix(40))

    /// Every column of `audit_record` but `seq`, in insert order.
    public static let insertColumns = ["node", "node_seq", "prev_hash"] + contentColumns + ["hash"]

    /// The content column values of an entry, in ``contentColumns`` order.
    public static func content(_ entry: AuditEntry) -> [Value] {
        let r = entry.record
        func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
        func int(_ value: Int64?) -> Value { value.map(Value.integer) ?? .null }
        let p = r.requestingParty
        return [
            .text(entry.kind.rawValue), .text(r.id.uuidString.lowercased()), .integer(r.receivedAt.unixMicroseconds),
            int(r.completedAt?.unixMicroseconds), int(r.durationMicroseconds), int(r.upstreamMicroseconds), .text(r.clientAddress),
            text(r.certificateSubject), text(r.certificateFQDN), text(r.traceID), text(r.correlationID), text(r.fromASID?.rawValue), text(r.fromODS?.rawValue),
            text(r.toASID?.rawValue), text(r.toODS?.rawValue), text(r.interaction?.rawValue), .text(r.method), .text(r.targetURL), int(r.status.map(Int64.init)),
            .text(r.outcome.rawValue), text(r.refusalPhase), text(r.refusalRule), text(r.refusalToken), .integer(r.bytesIn), .integer(r.bytesOut),
            text(r.requestBodySHA256), text(r.responseBodySHA256), text(p.userID), text(p.userRoleProfileID), text(p.userName),
            text(p.organisationODS), text(p.organisationName), text(p.device), text(p.reasonForRequest), text(p.requestedScope), text(p.issuer),
            text(r.resourceType), text(r.resourceID), text(r.responseLocation), text(r.responseETag), text(r.nhsNumberHMAC),
        ]
    }

    /// The row's hash: SHA-256 of the previous hash and the canonical form.
    public static func hash(node: String, nodeSequence: Int64, previous: String, content: [Value]) -> String {
        var canonical: [UInt8] = []
        canonical.reserveCapacity(previous.utf8.count + 64 + content.count * 24)
        canonical.append(contentsOf: previous.utf8)
        Value.text(node).appendCanonical(to: &canonical)
        canonical.append(UInt8(ascii: "|"))
        Value.integer(nodeSequence).appendCanonical(to: &canonical)
        for (index, value) in content.enumerated() where index < firstContentColumns.count || value != .null {
            canonical.append(UInt8(ascii: "|"))
            value.appendCanonical(to: &canonical)
        }
        return Hex.encode(SHA256.hash(data: canonical))
    }

    /// Reads a record back from its content columns (`text(i)` / `integer(i)` read content column `i`).
    public static func record(node: String, text: (Int) -> String?, integer: (Int) -> Int64?) -> (AuditEntry.Kind, ExchangeRecord)? {
        guard let kind = text(0).flatMap(AuditEntry.Kind.init), let id = text(1).flatMap(UUID.init(uuidString:)),
              let received = integer(2), let outcome = text(19).flatMap(ExchangeRecord.Outcome.init) else { return nil }
        var record = ExchangeRecord(id: id, node: node, receivedAt: Date(unixMicroseconds: received), clientAddress: text(6) ?? "", method: text(16) ?? "",
                                    targetURL: text(17) ?? "")
        record.completedAt = integer(3).map(Date.init(unixMicroseconds:))
        record.durationMicroseconds = integer(4)
        record.upstreamMicroseconds = integer(5)
        record.certificateSubject = text(7)
        record.certificateFQDN = text(8)
        record.traceID = text(9)
        record.correlationID = text(10)
        // Validated when the exchange set them; read back as written, so the chain verifies byte for byte.
        record.fromASID = text(11).map(ASID.init(trusted:))
        record.fromODS = text(12).map(ODSCode.init(trusted:))
        record.toASID = text(13).map(ASID.init(trusted:))
        record.toODS = text(14).map(ODSCode.init(trusted:))
        record.interaction = text(15).map(InteractionID.init(trusted:))
        record.status = integer(18).map(Int.init)
        record.outcome = outcome
        record.refusalPhase = text(20)
        record.refusalRule = text(21)
        record.refusalToken = text(22)
        record.bytesIn = integer(23) ?? 0
        record.bytesOut = integer(24) ?? 0
        record.requestBodySHA256 = text(25)
        record.responseBodySHA256 = text(26)
        record.requestingParty.userID = text(27)
        record.requestingParty.userRoleProfileID = text(28)
        record.requestingParty.userName = text(29)
        record.requestingParty.organisationODS = text(30)
        record.requestingParty.organisationName = text(31)
        record.requestingParty.device = text(32)
        record.requestingParty.reasonForRequest = text(33)
        record.requestingParty.requestedScope = text(34)
        record.requestingParty.issuer = text(35)
        record.resourceType = text(36)
        record.resourceID = text(37)
        record.responseLocation = text(38)
        record.responseETag = text(39)
        record.nhsNumberHMAC = text(40)
        return (kind, record)
    }
}
