import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The provider connections of one event loop, so that an exchange's upstream request runs on
/// its consumer connection's loop: idle connections kept per provider (the most recently used
/// taken first, those idle for the idle timeout closed), new ones made up to the per-loop limit,
/// and requests beyond it waiting their turn in order.
final class ProviderPool {
    private let eventLoop: any EventLoop
    private let settings: UpstreamClient.Settings
    private var idle: [ProviderOrigin: [ProviderConnection]] = [:]
    /// Connections made or being made, per provider.
    private var open: [ProviderOrigin: Int] = [:]
    private var waiting: [ProviderOrigin: CircularBuffer<ProviderCall>] = [:]
    private var sweep: Scheduled<Void>?
    private var isShutDown = false

    init(eventLoop: any EventLoop, settings: UpstreamClient.Settings) {
        self.eventLoop = eventLoop
        self.settings = settings
    }

    func start(_ call: ProviderCall) {
        guard !isShutDown else { return call.failed(UpstreamError.shutDown) }
        let origin = call.request.origin
        while let connection = idle[origin]?.popLast() {
            if connection.isOpen { return connection.carry(call) }
        }
        waiting[origin, default: []].append(call)
        settings.use.queued()
        if open[origin, default: 0] < settings.connectionsPerLoop { connect(origin) }
    }

    /// A connection is free again: the next waiting call takes it, or it waits in the pool.
    func release(_ connection: ProviderConnection) {
        if let call = nextWaiting(connection.origin) { return connection.carry(call) }
        guard !isShutDown else { return connection.close() }
        connection.idleSince = .now()
        idle[connection.origin, default: []].append(connection)
        scheduleSweep()
    }

    func closed(_ connection: ProviderConnection) {
        let origin = connection.origin
        open[origin, default: 1] -= 1
        settings.use.closed()
        idle[origin]?.removeAll { $0 === connection }
        if !isShutDown, hasWaiting(origin), open[origin, default: 0] < settings.connectionsPerLoop { connect(origin) }
    }

    private func nextWaiting(_ origin: ProviderOrigin) -> ProviderCall? {
        while let call = waiting[origin]?.popFirst() {
            settings.use.dequeued()
            if !call.isOver { return call }
        }
        return nil
    }

    private func hasWaiting(_ origin: ProviderOrigin) -> Bool {
        while let first = waiting[origin]?.first, first.isOver {
            waiting[origin]?.removeFirst()
            settings.use.dequeued()
        }
        return waiting[origin]?.isEmpty == false
    }

    // MARK: Connecting

    private func connect(_ origin: ProviderOrigin) {
        open[origin, default: 0] += 1
        settings.use.opened()
        attempt(origin, deadline: .now() + settings.connectTimeout, backoff: .milliseconds(100))
    }

    /// One connection attempt. One that fails before the deadline is tried again after a pause
    /// (nothing has been sent on it); the last failure fails the first waiting call.
    private func attempt(_ origin: ProviderOrigin, deadline: NIODeadline, backoff: TimeAmount) {
        let connection = ProviderConnection(origin: origin, pool: self, readTimeout: settings.readTimeout, use: settings.use,
                                            revocation: settings.revocation)
        let handler = NIOLoopBound(connection, eventLoop: eventLoop)
        let tls = settings.tls.current
        let serverHostname = origin.isIPAddress ? nil : origin.host
        ClientBootstrap(group: eventLoop)
            .connectTimeout(max(deadline - .now(), .milliseconds(1)))
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(handler.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: settings.resolve[origin.host] ?? origin.host, port: origin.port)
            .hop(to: eventLoop)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success:
                    self.release(connection)
                case .failure(let error):
                    if !self.isShutDown, self.hasWaiting(origin), NIODeadline.now() + backoff < deadline {
                        self.eventLoop.assumeIsolated().scheduleTask(in: backoff) {
                            self.attempt(origin, deadline: deadline, backoff: min(backoff * 2, .seconds(1)))
                        }
                        return
                    }
                    self.open[origin, default: 1] -= 1
                    self.settings.use.closed()
                    self.nextWaiting(origin)?.failed(UpstreamError.connectFailed("\(error)"))
                }
            }
    }

    // MARK: Idle connections

    private func scheduleSweep() {
        guard sweep == nil else { return }
        sweep = eventLoop.assumeIsolated().scheduleTask(in: settings.idleTimeout) { self.closeIdle() }
    }

    private func closeIdle() {
        sweep = nil
        let cutoff = NIODeadline.now() - settings.idleTimeout
        for (origin, connections) in idle {
            for connection in connections where connection.idleSince <= cutoff { connection.close() }
            idle[origin] = connections.filter { $0.idleSince > cutoff }
        }
        if idle.values.contains(where: { !$0.isEmpty }) { scheduleSweep() }
    }

    /// Closes the idle connections and fails waiting calls; busy ones close when their call ends.
    func shutDown() {
        isShutDown = true
        sweep?.cancel()
        sweep = nil
        for connections in idle.values { connections.forEach { $0.close() } }
        idle = [:]
        for origin in Array(waiting.keys) {
            while let call = nextWaiting(origin) { call.failed(UpstreamError.shutDown) }
        }
    }
}
