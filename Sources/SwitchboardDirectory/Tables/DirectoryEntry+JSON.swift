public import Foundation

extension DirectoryEntry {
    /// The entry's fields as JSON, keys sorted (history rows, the admin API).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .organisation(let value): return try encoder.encode(value)
        case .system(let value): return try encoder.encode(value)
        case .endpoint(let value): return try encoder.encode(value)
        case .interaction(let value): return try encoder.encode(value)
        case .agreement(let value): return try encoder.encode(value)
        }
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
