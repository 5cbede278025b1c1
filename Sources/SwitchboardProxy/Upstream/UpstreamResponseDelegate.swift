import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Hands the provider's answer to its ``Exchange``. AsyncHTTPClient calls it on the exchange's
/// own event loop: the request runs with `.delegate(on:)`, which also prefers a pooled provider
/// connection on that loop. (`.delegateAndChannel(on:)` would require one there, but AsyncHTTPClient
/// closes such connections once idle rather than pooling them: a TLS handshake per exchange.)
final class UpstreamResponseDelegate: HTTPClientResponseDelegate {
    typealias Response = Void

    private let exchange: NIOLoopBound<Exchange>

    init(_ exchange: Exchange, eventLoop: any EventLoop) {
        self.exchange = NIOLoopBound(exchange, eventLoop: eventLoop)
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        exchange.value.providerAnswered(head)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        exchange.value.providerSent(buffer)
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        exchange.value.providerFailed(error)
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        exchange.value.providerFinished()
    }
}
