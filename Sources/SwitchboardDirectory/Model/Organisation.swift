public import SwitchboardCore

/// An organisation known to ODS: a GP practice, an urgent-care provider, a system supplier.
public struct Organisation: Hashable, Sendable, Codable {
    public enum Kind: String, CaseIterable, Hashable, Sendable, Codable {
        case gpPractice = "gp-practice"
        case urgentCare = "urgent-care"
        case systemSupplier = "system-supplier"
        case other
    }

    public var ods: ODSCode
    public var name: String
    public var kind: Kind
    public var status: RecordStatus
    /// Bumped by the store on every change; used for optimistic concurrency.
    public var version: Int

    public init(ods: ODSCode, name: String, kind: Kind, status: RecordStatus = .active, version: Int = 0) {
        self.ods = ods
        self.name = name
        self.kind = kind
        self.status = status
        self.version = version
    }
}
