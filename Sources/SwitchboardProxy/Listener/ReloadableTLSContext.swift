public import NIOSSL
import Synchronization

/// A TLS context that a reload can replace while traffic flows: each new connection takes the
/// context in force when it starts, and connections already open finish on the one they began with.
public final class ReloadableTLSContext: Sendable {
    private let context: Mutex<NIOSSLContext>

    public init(_ context: NIOSSLContext) {
        self.context = Mutex(context)
    }

    /// The context for a connection starting now.
    public var current: NIOSSLContext { context.withLock { $0 } }

    func replace(with context: NIOSSLContext) {
        self.context.withLock { $0 = context }
    }
}
