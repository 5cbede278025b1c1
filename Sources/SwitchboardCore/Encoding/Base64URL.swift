/// Unpadded base64url (RFC 4648 §5), as JWTs and Switchboard's secrets use it.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each byte's value in the alphabet, or 0xFF for a byte outside it.
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
        return values
    }()

    /// `bytes` encoded without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var accumulator: UInt32 = 0
        var bits: UInt32 = 0
        for byte in bytes {
            accumulator = (accumulator << 8 | UInt32(byte)) & 0xFFFF
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(alphabet[Int(accumulator >> bits & 0x3F)])
            }
        }
        if bits > 0 { output.append(alphabet[Int(accumulator << (6 - bits) & 0x3F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded base64url; nil for padding, another alphabet's characters, an impossible
    /// length or non-canonical trailing bits.
    public static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var valid = true
        // n characters carry 6n bits: ⌊3n/4⌋ whole bytes, the capacity below.
        let output = values.withUnsafeBufferPointer { values in
            [UInt8](unsafeUninitializedCapacity: text.count * 3 / 4) { buffer, count in
                var accumulator: UInt32 = 0
                var bits: UInt32 = 0
                for byte in text {
                    let value = values[Int(byte)]
                    guard value != 0xFF else {
                        valid = false
                        break
                    }
                    accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFFFF
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        buffer[count] = UInt8(truncatingIfNeeded: accumulator >> bits)
                        count += 1
                    }
                }
                if accumulator & ((1 << bits) - 1) != 0 { valid = false }
            }
        }
        return valid ? output : nil
    }

    /// Decodes unpadded base64url text (see ``decode(_:)-(UnsafeBufferPointer<UInt8>)``).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode($0) }
    }
}
