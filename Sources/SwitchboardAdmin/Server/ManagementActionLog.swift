import Crypto
import Foundation
import NIOCore
public import Hummingbird
public import Logging
public import SwitchboardAudit
import SwitchboardCore

/// Records every call to the admin and audit APIs in the audit chain — allowed or refused, reads
/// included — with who made it, from where, what it asked and how it ended. Wraps
/// authentication, so calls it refuses are recorded too.
///
/// A change (anything but `GET`/`HEAD`) is refused with `503` while the audit store cannot take
/// records, so no change goes unrecorded; a read is answered and its record kept for later.
public struct ManagementActionLog: RouterMiddleware {
    public typealias Context = ManagementContext

    let recorder: any ManagementActionRecorder
    let node: String
    let maximumBody: Int
    let logger: Logger

    /// `maximumBody` is the largest body a change may send (`management.maximumBodyBytes`); a
    /// larger one is refused `413` here, recorded, before anything reads it.
    public init(recorder: any ManagementActionRecorder, node: String, maximumBody: Int = 1 << 20, logger: Logger) {
        self.recorder = recorder
        self.node = node
        self.maximumBody = maximumBody
        self.logger = logger
    }

    /// The APIs and the console's pages are logged; health, readiness, metrics and the console's
    /// stylesheet are not calls anyone answers for.
    static func isLogged(_ path: String) -> Bool {
        path == "/admin" || path.hasPrefix("/admin/") || path == "/audit" || path.hasPrefix("/audit/")
            || ((path == "/console" || path.hasPrefix("/console/")) && !path.hasPrefix("/console/static/"))
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isLogged(request.uri.path) else { return try await next(request, context) }
        let started = ContinuousClock.now
        var record = ExchangeRecord(id: .timeOrdered(), node: node, receivedAt: Date(),
                                    clientAddress: context.channel.remoteAddress?.ipAddress ?? "unknown",
                                    method: request.method.rawValue, targetURL: NHSNumberText.redacting(String(request.uri.description.prefix(2048))).text)
        let changes = request.method != .get && request.method != .head
        var request = request
        if changes {
            guard recorder.isAcceptingRecords else {
                let refusal = ManagementError(status: .serviceUnavailable, code: "audit-unavailable",
                                              message: "changes are refused while the audit log cannot record them; try again shortly")
                finish(&record, context: context, status: 503, code: refusal.code, started: started)
                recorder.deferManagementAction(record)
                return refusal.response()
            }
            // Collected once here (and kept in the request) so the record can name what was sent.
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maximumBody)
            } catch {
                let refusal = JSONBody.tooLarge(maximumBody)
                finish(&record, context: context, status: 413, code: refusal.code, started: started)
                await write(record)
                return refusal.response()
            }
            if body.readableBytes > 0 {
                record.bytesIn = Int64(body.readableBytes)
                record.requestBodySHA256 = Hex.encode(body.withUnsafeReadableBytes { SHA256.hash(data: $0) })
            }
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            finish(&record, context: context, status: status, code: context.call.refusal ?? (error as? ManagementError)?.code ?? "internal-error",
                   started: started)
            await write(record)
            throw error
        }
        record.responseETag = response.headers[.eTag]
        record.responseLocation = response.headers[.location]
        finish(&record, context: context, status: response.status.code, code: context.call.refusal, started: started)
        await write(record)
        return response
    }

    /// Fills in who called and how the call ended.
    func finish(_ record: inout ExchangeRecord, context: Context, status: Int, code: String?, started: ContinuousClock.Instant) {
        let principal = context.call.principal
        record.certificateSubject = principal?.name
        record.requestingParty.userID = principal?.name
        record.requestingParty.userRoleProfileID = principal?.role.rawValue
        record.status = status
        record.completedAt = Date()
        record.durationMicroseconds = started.duration(to: .now).microseconds
        if status < 400 && context.call.refusal == nil {
            record.outcome = .answered
        } else {
            record.outcome = .refused
            let phase: ExchangePhase = switch context.call.refusal {
            case "unauthenticated", "too-many-failures": .identify
            case "wrong-role": .authorise
            default: status == 503 ? .audit : .validate
            }
            record.refusalPhase = phase.rawValue
            record.refusalRule = code ?? "HTTP_\(status)"
        }
    }

    func write(_ record: ExchangeRecord) async {
        do {
            try await recorder.recordManagementAction(record)
        } catch {
            logger.error("management call could not be recorded yet; kept for when the audit store recovers",
                         metadata: [LogKey.error: "\(error)", LogKey.managementPath: "\(record.targetURL)"])
            recorder.deferManagementAction(record)
        }
    }
}
