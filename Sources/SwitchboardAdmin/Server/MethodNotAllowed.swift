import HTTPTypes
public import Hummingbird
import Synchronization

/// What the router does not route: a path the management listener serves, asked with a method
/// it does not take, is `405` with `Allow`; a path it does not serve at all is a JSON `404`.
/// (Hummingbird answers both with an empty `404`.)
public struct MethodNotAllowed: RouterMiddleware {
    public typealias Context = ManagementContext

    /// Every route's path template and methods, filled in once the routes are registered.
    public final class RouteTable: Sendable {
        private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

        public init() {}

        func set(_ descriptions: [Router<ManagementContext>.RouteDescription]) {
            var table: [String: Set<String>] = [:]
            for route in descriptions { table["\(route.path)", default: []].insert(route.method.rawValue) }
            routes.withLock { $0 = table.map { (Self.segments($0.key), $0.value) } }
        }

        /// The methods some route takes at `path`, sorted; empty when no route has that path.
        func methods(for path: String) -> [String] {
            let asked = Self.segments(path)
            let found = routes.withLock { routes in
                routes.filter { route in
                    route.segments.count == asked.count && zip(route.segments, asked).allSatisfy { Self.isCapture($0) || $0 == $1 }
                }.flatMap(\.methods)
            }
            return Set(found).sorted()
        }

        /// A segment that matches any one segment: `{key}` (or `:key`), or `*`.
        static func isCapture(_ segment: Substring) -> Bool {
            (segment.hasPrefix("{") && segment.hasSuffix("}")) || segment.hasPrefix(":") || segment == "*"
        }

        static func segments(_ path: String) -> [Substring] {
            path.split(separator: "/", omittingEmptySubsequences: true)
        }
    }

    let table: RouteTable

    public init(table: RouteTable) {
        self.table = table
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let allowed = table.methods(for: path)
            guard !allowed.isEmpty else {
                throw ManagementError(status: .notFound, code: "not-found", message: "nothing is served at \(path.prefix(200)); see Docs/management-api.yaml")
            }
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            throw ManagementError(status: .methodNotAllowed, code: "method-not-allowed",
                                  message: "\(request.method.rawValue) is not allowed on \(path.prefix(200)); use \(allowed.joined(separator: ", "))",
                                  headers: headers)
        }
    }
}
