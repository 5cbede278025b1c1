import AsyncHTTPClient
import NIOCore

/// The consumer's request body on its way to the provider, on the consumer connection's event
/// loop: chunks the consumer sends are queued until the upstream connection asks for the body,
/// then written one at a time, each when the previous one has been written. While more than
/// ``highWatermark`` bytes wait, ``isBackedUp`` tells the connection to stop reading.
final class RequestBodyBridge {
    static let highWatermark = 256 * 1024

    private let eventLoop: any EventLoop
    private var queued = CircularBuffer<ByteBuffer>()
    private var queuedBytes = 0
    private var writer: HTTPClient.Body.StreamWriter?
    private var writing = false
    private var ended = false
    private var failure: (any Error)?
    private var finished: EventLoopPromise<Void>?
    /// Called when queued bytes have gone, so the connection may read again.
    var onDrained: () -> Void = {}

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var isBackedUp: Bool { queuedBytes >= Self.highWatermark }

    /// The body for the upstream request: streams what ``append(_:)`` queues until ``finish()``.
    func body(length: Int?) -> HTTPClient.Body {
        let bridge = NIOLoopBound(self, eventLoop: eventLoop)
        let eventLoop = self.eventLoop
        return .stream(contentLength: length.map(Int64.init)) { writer in
            if eventLoop.inEventLoop { return bridge.value.start(writer) }
            return eventLoop.flatSubmit { bridge.value.start(writer) }
        }
    }

    func append(_ chunk: ByteBuffer) {
        guard !ended, failure == nil else { return }
        queued.append(chunk)
        queuedBytes += chunk.readableBytes
        pump()
    }

    /// The consumer's body is complete.
    func finish() {
        ended = true
        pump()
    }

    /// The consumer's body broke off: the provider's request is cut off unfinished.
    func fail(_ error: any Error) {
        guard failure == nil else { return }
        failure = error
        queued.removeAll()
        queuedBytes = 0
        pump()
    }

    private func start(_ writer: HTTPClient.Body.StreamWriter) -> EventLoopFuture<Void> {
        self.writer = writer
        let promise = eventLoop.makePromise(of: Void.self)
        finished = promise
        pump()
        return promise.futureResult
    }

    private func pump() {
        guard let writer, let finished, !writing else { return }
        if let failure {
            self.finished = nil
            finished.fail(failure)
            return
        }
        guard let chunk = queued.popFirst() else {
            if ended {
                self.finished = nil
                finished.succeed()
            }
            return
        }
        writing = true
        writer.write(.byteBuffer(chunk)).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            self.writing = false
            self.queuedBytes -= chunk.readableBytes
            if case .failure(let error) = result, self.failure == nil { self.failure = error }
            self.pump()
            self.onDrained()
        }
    }
}
