public import Hummingbird
import HTTPTypes

/// Adds the browser-facing security headers to every management answer, errors included: HTTPS
/// only, no sniffing, no framing, no referrer, and a content policy that loads nothing from
/// elsewhere.
public struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    public init() {}

    static var fields: HTTPFields {
        [
            .strictTransportSecurity: "max-age=31536000",
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in Self.fields where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }
}
