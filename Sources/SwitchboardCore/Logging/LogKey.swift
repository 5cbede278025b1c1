/// The metadata keys Switchboard's log lines use, spelt once. In JSON logs each is a field of
/// the line's object (`"sb.exchange.id": "01a2…"`).
public enum LogKey {
    public static let exchangeID = "sb.exchange.id"
    public static let traceID = "sb.trace.id"
    public static let fromASID = "sb.from.asid"
    public static let toASID = "sb.to.asid"
    public static let fromODS = "sb.from.ods"
    public static let toODS = "sb.to.ods"
    public static let interaction = "sb.interaction"
    public static let method = "sb.method"
    public static let status = "sb.status"
    public static let outcome = "sb.outcome"
    public static let phase = "sb.phase"
    public static let rule = "sb.rule"
    public static let durationMicroseconds = "sb.duration.us"
    public static let upstreamMicroseconds = "sb.upstream.us"
    public static let client = "sb.client"
    public static let error = "sb.error"
    public static let address = "sb.address"
    public static let node = "sb.node"
}
