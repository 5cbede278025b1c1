import AsyncAlgorithms
import NIOCore

/// The consumer's request body on its way to the provider: an `AsyncThrowingChannel` (each
/// chunk is handed over only when the HTTP client asks for it, so memory stays bounded) whose
/// consumer side finishes the channel when it is cancelled or abandoned. Without that, a
/// provider that answers before reading the whole body would leave the sender waiting forever.
struct RequestBodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let channel: AsyncThrowingChannel<ByteBuffer, any Error>

    /// Finishes the channel when the last iterator copy goes away.
    final class Terminator: Sendable {
        let channel: AsyncThrowingChannel<ByteBuffer, any Error>
        init(channel: AsyncThrowingChannel<ByteBuffer, any Error>) { self.channel = channel }
        deinit { channel.finish() }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingChannel<ByteBuffer, any Error>.AsyncIterator
        let terminator: Terminator

        mutating func next() async throws -> ByteBuffer? {
            let channel = terminator.channel
            var base = self.base
            defer { self.base = base }
            return try await withTaskCancellationHandler {
                try await base.next()
            } onCancel: {
                channel.finish()
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: channel.makeAsyncIterator(), terminator: Terminator(channel: channel))
    }
}
