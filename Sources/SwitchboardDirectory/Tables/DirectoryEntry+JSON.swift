public import Foundation
import SwitchboardCore

extension DirectoryEntry: Encodable {
    /// The entry's own fields (the organisation, system, … it holds), without a wrapper.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .organisation(let value): try container.encode(value)
        case .system(let value): try container.encode(value)
        case .endpoint(let value): try container.encode(value)
        case .interaction(let value): try container.encode(value)
        case .agreement(let value): try container.encode(value)
        }
    }
}

extension DirectoryEntry {
    /// The entry's fields as JSON, keys sorted (history rows, the admin API).
    public func jsonData() throws -> Data {
        try SwitchboardJSON.encoder().encode(self)
    }

    /// Reads an entry of `kind` from the JSON ``jsonData()`` writes.
    public static func decode(_ kind: EntityKind, from data: Data) throws -> DirectoryEntry {
        let decoder = JSONDecoder()
        switch kind {
        case .organisation: return .organisation(try decoder.decode(Organisation.self, from: data))
        case .system: return .system(try decoder.decode(AccreditedSystem.self, from: data))
        case .endpoint: return .endpoint(try decoder.decode(Endpoint.self, from: data))
        case .interaction: return .interaction(try decoder.decode(Interaction.self, from: data))
        case .agreement: return .agreement(try decoder.decode(SharingAgreement.self, from: data))
        }
    }
}
