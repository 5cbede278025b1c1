import NIOCore
import NIOHTTP1

/// Who a provider's answer is for. Called on the event loop of the exchange and its connection.
protocol ProviderAnswerReceiver: AnyObject {
    func providerAnswered(_ head: HTTPResponseHead)
    /// Takes a piece of the body; returns whether the connection may read on. When not, it
    /// waits for ``ProviderCall/resumeReading()``.
    func providerSent(_ chunk: ByteBuffer) -> Bool
    func providerFinished()
    func providerFailed(_ error: any Error)
}

/// One request to a provider, from the moment it is asked for until its answer ends, fails or
/// is cancelled. It waits in its event loop's ``ProviderPool`` for a connection, then is carried
/// by one ``ProviderConnection``; after its end nothing it does touches that connection, which
/// may already carry the next request.
final class ProviderCall {
    let request: UpstreamRequest
    let body: RequestBodyBridge?
    private var receiver: (any ProviderAnswerReceiver)?
    /// The connection carrying it, while it does.
    var connection: ProviderConnection?

    init(request: UpstreamRequest, body: RequestBodyBridge?, receiver: any ProviderAnswerReceiver) {
        self.request = request
        self.body = body
        self.receiver = receiver
    }

    /// It has ended: finished, failed or cancelled.
    var isOver: Bool { receiver == nil }

    /// Cuts the request off: a connection carrying it is closed (its request may be half sent);
    /// a call still waiting for one is dropped.
    func cancel() {
        guard !isOver else { return }
        receiver = nil
        connection?.abandon(self)
        connection = nil
    }

    /// The consumer can take more of the answer.
    func resumeReading() {
        connection?.resumeReading()
    }

    func answered(_ head: HTTPResponseHead) {
        receiver?.providerAnswered(head)
    }

    func sent(_ chunk: ByteBuffer) -> Bool {
        receiver?.providerSent(chunk) ?? true
    }

    func finished() {
        let receiver = self.receiver
        self.receiver = nil
        connection = nil
        receiver?.providerFinished()
    }

    func failed(_ error: any Error) {
        let receiver = self.receiver
        self.receiver = nil
        connection = nil
        receiver?.providerFailed(error)
    }
}
