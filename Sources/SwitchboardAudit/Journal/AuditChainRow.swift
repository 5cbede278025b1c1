/// One row of a node's hash chain as the journal holds it and the index stores it: the
/// record's content columns, its place in the chain, and the hashes that link it.
public struct AuditChainRow: Sendable, Hashable {
    public var node: String
    public var sequence: Int64
    public var previous: String
    public var hash: String
    public var content: [AuditRowCoding.Value]

    public init(node: String, sequence: Int64, previous: String, hash: String, content: [AuditRowCoding.Value]) {
        self.node = node
        self.sequence = sequence
        self.previous = previous
        self.hash = hash
        self.content = content
    }

    /// Chains `entries` after `head` (the last sequence number and hash of `node`'s chain).
    public static func chain(_ entries: [AuditEntry], node: String, after head: (sequence: Int64, hash: String)) -> [AuditChainRow] {
        var (sequence, previous) = head
        return entries.map { entry in
            sequence += 1
            let content = AuditRowCoding.content(entry)
            let hash = AuditRowCoding.hash(node: node, nodeSequence: sequence, previous: previous, content: content)
            defer { previous = hash }
            return AuditChainRow(node: node, sequence: sequence, previous: previous, hash: hash, content: content)
        }
    }

    /// Whether the row's hash is the one its content and links give.
    var isSelfConsistent: Bool {
        AuditRowCoding.hash(node: node, nodeSequence: sequence, previous: previous, content: content) == hash
    }
}

/// The journal's framing of a chain row: `length` (4 bytes, little-endian) and `crc32c` of the
/// payload (4 bytes), then the payload — sequence (8), previous and hash (64 ASCII each), node
/// (2-byte length + UTF-8), content values (2-byte count, each a tag `0` null, `1` integer (8),
/// `2` text (4-byte length + UTF-8)). A length of zero is space not yet written (the zeros a segment is filled with).
enum JournalRecord {
    static let headerBytes = 8
    static let maximumPayload = 16 << 20

    static func append(_ row: AuditChainRow, to bytes: inout [UInt8]) {
        precondition(row.previous.utf8.count == 64 && row.hash.utf8.count == 64, "chain hashes are 64 hex digits")
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: headerBytes))
        appendInteger(UInt64(bitPattern: row.sequence), bytes: 8, to: &bytes)
        bytes.append(contentsOf: row.previous.utf8)
        bytes.append(contentsOf: row.hash.utf8)
        appendInteger(UInt64(row.node.utf8.count), bytes: 2, to: &bytes)
        bytes.append(contentsOf: row.node.utf8)
        appendInteger(UInt64(row.content.count), bytes: 2, to: &bytes)
        for value in row.content {
            switch value {
            case .null:
                bytes.append(0)
            case .integer(let integer):
                bytes.append(1)
                appendInteger(UInt64(bitPattern: integer), bytes: 8, to: &bytes)
            case .text(let text):
                bytes.append(2)
                appendInteger(UInt64(text.utf8.count), bytes: 4, to: &bytes)
                bytes.append(contentsOf: text.utf8)
            }
        }
        let payloadLength = bytes.count - start - headerBytes
        bytes.withUnsafeMutableBytes { raw in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(start + headerBytes)...]))
            raw.storeBytes(of: UInt32(payloadLength).littleEndian, toByteOffset: start, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
    }

    enum Read {
        case row(AuditChainRow, length: Int)
        /// Unwritten space: the end of the journal.
        case end
        /// A record whose checksum or form is wrong: torn by a crash if it is the last, else damage.
        case damaged
    }

    /// Reads the record at the start of `bytes`.
    static func read(_ bytes: UnsafeRawBufferPointer) -> Read {
        guard bytes.count >= headerBytes else { return bytes.allSatisfy { $0 == 0 } ? .end : .damaged }
        let length = Int(integer(bytes, at: 0, bytes: 4))
        let crc = UInt32(integer(bytes, at: 4, bytes: 4))
        if length == 0 && crc == 0 { return .end }
        guard length <= maximumPayload, headerBytes + length <= bytes.count else { return .damaged }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerBytes..<(headerBytes + length)])
        guard CRC32C.checksum(payload) == crc, let row = decode(payload) else { return .damaged }
        return .row(row, length: headerBytes + length)
    }

    private static func decode(_ payload: UnsafeRawBufferPointer) -> AuditChainRow? {
        var offset = 0
        func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard offset + count <= payload.count else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + count)])
        }
        func number(_ count: Int) -> UInt64? { take(count).map { integer($0, at: 0, bytes: count) } }
        func text(_ count: Int) -> String? { take(count).map { String(decoding: $0, as: UTF8.self) } }
        guard let sequence = number(8), let previous = text(64), let hash = text(64),
              let nodeLength = number(2), let node = text(Int(nodeLength)), let count = number(2) else { return nil }
        var content: [AuditRowCoding.Value] = []
        content.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let tag = take(1)?.first else { return nil }
            switch tag {
            case 0: content.append(.null)
            case 1:
                guard let value = number(8) else { return nil }
                content.append(.integer(Int64(bitPattern: value)))
            case 2:
                guard let length = number(4), let value = text(Int(length)) else { return nil }
                content.append(.text(value))
            default: return nil
            }
        }
        guard offset == payload.count else { return nil }
        // A record journalled before a column was added holds no value for it.
        if content.count < AuditRowCoding.contentColumns.count {
            content.append(contentsOf: repeatElement(.null, count: AuditRowCoding.contentColumns.count - content.count))
        }
        return AuditChainRow(node: node, sequence: Int64(bitPattern: sequence), previous: previous, hash: hash, content: content)
    }

    private static func appendInteger(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0.prefix(count)) }
    }

    private static func integer(_ bytes: UnsafeRawBufferPointer, at offset: Int, bytes count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * index) }
        return value
    }
}
