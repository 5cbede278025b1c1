/// The id of one Switchboard process (`node.id`): it names the node in logs and audit records,
/// and its hash chain. The same rule wherever one is read: configuration, audit queries, the API.
public enum NodeID {
    /// The rule, as messages state it.
    public static let rule = "1 to 64 letters, digits, '-', '.' or '_'"

    public static func isValid(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }
}
