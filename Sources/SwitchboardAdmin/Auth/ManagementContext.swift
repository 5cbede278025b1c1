public import Hummingbird
public import NIOCore

/// The request context of the management listener: the channel (for the client certificate)
/// and, once authenticated, who is calling.
public struct ManagementContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies above this are refused (batches of thousands of entries fit).
    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}
