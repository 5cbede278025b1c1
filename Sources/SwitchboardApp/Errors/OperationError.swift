/// An operation refused with one line a person reads (what is wrong, what to do), and, for a
/// batch, one detail line per problem printed before it.
public struct OperationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public var details: [String]

    public init(_ description: String, details: [String] = []) {
        self.description = description
        self.details = details
    }
}
