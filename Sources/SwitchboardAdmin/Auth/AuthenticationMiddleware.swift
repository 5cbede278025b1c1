import Foundation
public import Hummingbird
public import Logging
import NIOCore
import NIOSSL
import Synchronization
import X509
import SwiftASN1
import SwitchboardCore

/// Authenticates management callers by bearer token (`Authorization: Bearer sbt_…`) or by a
/// client certificate whose FQDN the configuration maps to a role, and refuses a caller whose
/// role does not fit the path: `/admin` is for admins, `/audit` for auditors. Unauthenticated
/// callers get `401`; a client address with too many failures a minute gets `429`.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = ManagementContext

    let tokens: any ManagementTokenStore
    let certificateRoles: [String: Role]
    let failures: FailureLimiter
    let logger: Logger

    /// `failures` is shared with the console's sign-in, so an address gets one allowance of
    /// failures a minute whichever door it tries.
    public init(tokens: any ManagementTokenStore, certificateRoles: [String: Role], failures: FailureLimiter, logger: Logger) {
        self.tokens = tokens
        self.certificateRoles = certificateRoles
        self.failures = failures
        self.logger = logger
    }

    /// Paths anyone may read: liveness, readiness, metrics, the console's own files and sign-in.
    static func isPublic(_ path: String) -> Bool {
        path == "/health" || path == "/ready" || path == "/metrics"
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.isPublic(path) { return try await next(request, context) }
        let required: Role? = path.hasPrefix("/admin") ? .admin : path.hasPrefix("/audit") ? .auditor : nil
        guard let required else { return try await next(request, context) }
        let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let wait = failures.blockedFor(client) {
            context.call.refusal = "too-many-failures"
            logger.warning("management authentication refused: too many failures", metadata: [LogKey.client: "\(client)"])
            var headers = HTTPFields()
            headers[.retryAfter] = "\(wait)"
            return ManagementError(status: .tooManyRequests, code: "too-many-failures",
                                   message: "too many failed authentication attempts from this address; try again in \(wait) seconds", headers: headers).response()
        }
        guard let principal = try await authenticate(request, channel: context.channel) else {
            failures.record(client)
            context.call.refusal = "unauthenticated"
            logger.warning("management authentication failed", metadata: [LogKey.client: "\(client)", LogKey.path: "\(path)"])
            var response = ManagementError(status: .unauthorized, code: "unauthenticated",
                                           message: "present a management bearer token or a client certificate mapped to a role").response()
            response.headers[.wwwAuthenticate] = "Bearer realm=\"switchboard-management\""
            return response
        }
        context.call.principal = principal
        guard principal.role == required else {
            context.call.refusal = "wrong-role"
            logger.notice("management request refused: wrong role",
                          metadata: [LogKey.principal: "\(principal.name)", LogKey.role: "\(principal.role.rawValue)", LogKey.path: "\(path)"])
            return ManagementError(status: .forbidden, code: "wrong-role",
                                   message: "\(path) needs the \(required.rawValue) role; \(principal.name) is \(principal.role.rawValue)").response()
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    func authenticate(_ request: Request, channel: any Channel) async throws -> Principal? {
        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer ") else { return nil }
            return try await tokens.principal(for: String(authorization.dropFirst(7)))
        }
        guard !certificateRoles.isEmpty, let peer = try? await channel.nioSSL_peerCertificate().get(),
              let certificate = try? Certificate(derEncoded: try peer.toDERBytes()) else { return nil }
        var names: [String] = []
        if let alternatives = try? certificate.extensions.subjectAlternativeNames {
            for name in alternatives { if case .dnsName(let dns) = name { names.append(dns.lowercased()) } }
        }
        for name in names { if let role = certificateRoles[name] { return Principal(name: "cert:\(name)", role: role) } }
        return nil
    }
}

/// Counts authentication failures per client address over a sliding minute.
public final class FailureLimiter: Sendable {
    let perMinute: Int
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    public init(perMinute: Int) { self.perMinute = perMinute }

    func record(_ client: String) {
        let now = ContinuousClock.now
        failures.withLock { failures in
            failures[client, default: []].append(now)
            if failures.count > 10_000 { failures = failures.filter { $0.value.last.map { now - $0 < .seconds(60) } ?? false } }
        }
    }

    func isBlocked(_ client: String) -> Bool { blockedFor(client) != nil }

    /// Whole seconds until `client` may try again (at least 1), or nil when it may now.
    func blockedFor(_ client: String) -> Int? {
        let now = ContinuousClock.now
        return failures.withLock { failures in
            let recent = (failures[client] ?? []).filter { now - $0 < .seconds(60) }
            failures[client] = recent.isEmpty ? nil : recent
            guard recent.count >= perMinute, let oldest = recent.dropLast(perMinute - 1).last else { return nil }
            let remaining = Duration.seconds(60) - (now - oldest)
            return max(1, Int(remaining.components.seconds) + (remaining.components.attoseconds > 0 ? 1 : 0))
        }
    }
}
