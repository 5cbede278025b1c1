import Foundation
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Forward: the request as the provider receives it — the consumer's end-to-end headers, the
/// proxy's forwarding headers, and the body streamed through a ``RequestBodyBridge``. A sent
/// request is never retried.
struct ForwardPhase {
    var proxyHost: String

    /// The upstream request for an admitted exchange; throws when the target cannot be requested.
    func request(_ context: ExchangeContext, body: RequestFraming.Body, bridge: RequestBodyBridge?) throws -> HTTPClient.Request {
        let exchangeID = context.exchangeID
        let headers = HeaderRules.upstreamRequestHeaders(
            from: context.head.headers, clientAddress: context.client.address, proxyHost: proxyHost,
            exchangeID: exchangeID, correlationID: context.correlationID ?? exchangeID)
        let requestBody: HTTPClient.Body? = switch body {
        case .none: nil
        case .length(let length): bridge?.body(length: length)
        case .chunked: bridge?.body(length: nil)
        }
        return try HTTPClient.Request(url: context.target!.url, method: context.head.method, headers: headers, body: requestBody)
    }

    /// Whether the consumer asked to be told to go on before sending its body.
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// The refusal for a request that failed upstream before its answer began.
    static func refusal(for error: any Error, target: String) -> ProxyRefusal {
        if let own = error as? ProxyRefusal { return own }
        if let clientError = error as? HTTPClientError, clientError == .deadlineExceeded || clientError == .readTimeout {
            return .upstreamTimeout(target)
        }
        return .upstreamUnreachable(target)
    }
}
