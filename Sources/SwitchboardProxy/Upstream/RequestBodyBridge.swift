import NIOCore

/// The consumer's request body on its way to the provider, on the consumer connection's event
/// loop: chunks the consumer sends are queued until a provider connection carries the request,
/// then written as they come. While more than ``highWatermark`` bytes wait for a connection, or
/// the connection cannot take more, ``isBackedUp`` tells the consumer connection to stop reading.
final class RequestBodyBridge {
    static let highWatermark = 256 * 1024

    private var queued = CircularBuffer<ByteBuffer>()
    private var queuedBytes = 0
    private weak var connection: ProviderConnection?
    private weak var call: ProviderCall?
    private var ended = false
    private var failed = false
    /// Called when the body can flow again, so the consumer connection may read.
    var onDrained: () -> Void = {}

    var isBackedUp: Bool {
        if let connection { return !connection.isWritable }
        return queuedBytes >= Self.highWatermark
    }

    func append(_ chunk: ByteBuffer) {
        guard !ended, !failed else { return }
        if let connection, let call {
            connection.writeBody(chunk, of: call, flush: true)
        } else {
            queued.append(chunk)
            queuedBytes += chunk.readableBytes
        }
    }

    /// The consumer's body is complete.
    func finish() {
        guard !ended, !failed else { return }
        ended = true
        if let connection, let call { connection.endRequest(of: call) }
    }

    /// The consumer's body broke off: nothing more is sent (the call's cancellation closes the
    /// provider connection, so the provider never sees a complete request).
    func fail(_ error: any Error) {
        failed = true
        queued.removeAll()
        queuedBytes = 0
        connection = nil
        call = nil
    }

    /// `connection` now carries `call`: what is queued goes, and the rest as it comes.
    func attach(_ connection: ProviderConnection, call: ProviderCall) {
        guard !failed else { return }
        self.connection = connection
        self.call = call
        while let chunk = queued.popFirst() {
            connection.writeBody(chunk, of: call, flush: queued.isEmpty)
        }
        queuedBytes = 0
        if ended { connection.endRequest(of: call) }
        onDrained()
    }
}
