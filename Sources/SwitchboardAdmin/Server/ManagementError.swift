import Foundation
public import Hummingbird

/// An error the management API answers with: a status and a JSON body naming what was wrong.
public struct ManagementError: Error, Sendable {
    public struct Issue: Codable, Sendable, Hashable {
        public var entry: String?
        public var field: String?
        public var rule: String
        public var message: String
    }

    public var status: HTTPResponse.Status
    /// A stable token, e.g. `validation-failed`, `version-conflict`.
    public var code: String
    public var message: String
    public var issues: [Issue]
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status, code: String, message: String, issues: [Issue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues
        self.headers = headers
    }

    struct Body: Encodable {
        var error: String
        var message: String
        var issues: [Issue]?
    }

    public func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(error: code, message: message, issues: issues.isEmpty ? nil : issues))) ?? Data()
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ManagementError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response { response() }
}
