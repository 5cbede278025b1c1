public import Foundation

/// How Switchboard writes JSON that people and other systems read: keys sorted, `/` unescaped
/// (URLs stay readable), times as RFC 3339 with their zone (``Timestamp``). The admin and audit
/// APIs, the exports and the CLI all write through it, so one record reads the same everywhere.
public enum SwitchboardJSON {
    /// An encoder with the settings above; `pretty` indents for a terminal.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.rfc3339(date))
        }
        return encoder
    }

    /// A decoder that reads what ``encoder(pretty:)`` writes; a time without its zone is refused.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time with its zone")
            }
            return date
        }
        return decoder
    }

    /// `value` as indented text for a terminal.
    public static func prettyText(_ value: some Encodable) throws -> String {
        String(decoding: try encoder(pretty: true).encode(value), as: UTF8.self)
    }
}
