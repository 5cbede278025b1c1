public import Hummingbird
public import NIOCore
import Synchronization

/// The request context of the management listener: the channel (for the client certificate)
/// and, once authenticated, who is calling.
public struct ManagementContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public var principal: Principal?
    /// What authentication found, for the action log wrapped around it.
    public let call = ManagementCall()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies above this are refused (batches of thousands of entries fit).
    public var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// Every JSON answer goes through ``ManagementJSONEncoder``.
    public var responseEncoder: ManagementJSONEncoder { ManagementJSONEncoder() }
}

/// Who a management call turned out to be, or why it was refused, as authentication decided:
/// shared with the action log, which runs outside authentication and records the call.
public final class ManagementCall: Sendable {
    private let state = Mutex<(principal: Principal?, refusal: String?)>((nil, nil))

    public init() {}

    public var principal: Principal? {
        get { state.withLock { $0.principal } }
        set { state.withLock { $0.principal = newValue } }
    }

    /// The refusal's code (`unauthenticated`, `wrong-role`, `too-many-failures`).
    public var refusal: String? {
        get { state.withLock { $0.refusal } }
        set { state.withLock { $0.refusal = newValue } }
    }
}
