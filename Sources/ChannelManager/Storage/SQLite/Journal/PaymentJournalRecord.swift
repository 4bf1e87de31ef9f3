import BitcoinPrimitives
import ChannelStateMachine

/// One payment kept in the payment journal: the new value of one channel's payment columns.
package enum JournaledPayment: Sendable, Hashable {
    /// A server channel's best payment (`StoreWrite.server(.payment)`).
    case server(contractTxid: Hash256, bestValueToServer: Amount, signature: [UInt8])
    /// A client channel's balance (`StoreWrite.client(.payment)`).
    case client(contractTxid: Hash256, valueLeft: Amount)

    /// The journal form of a write, or nil for a write the journal does not take.
    init?(_ write: StoreWrite) {
        switch write {
        case .server(.payment(let txid, let value, let signature)):
            guard signature.count <= PaymentJournalRecord.maxSignatureLength else { return nil }
            self = .server(contractTxid: txid, bestValueToServer: value, signature: signature)
        case .client(.payment(let txid, let valueLeft)):
            self = .client(contractTxid: txid, valueLeft: valueLeft)
        default:
            return nil
        }
    }

    /// The channel it changes.
    package var contractTxid: Hash256 {
        switch self {
        case .server(let txid, _, _), .client(let txid, _): return txid
        }
    }

    /// Bytes it takes in a record.
    var encodedSize: Int {
        switch self {
        case .server(_, _, let signature): return 1 + 32 + 8 + 2 + signature.count
        case .client: return 1 + 32 + 8
        }
    }
}

/// The layout of one payment journal record: everything one journal write made durable.
///
/// A record starts on a block boundary and fills whole blocks (``blockSize``), zero-padded:
///
/// | bytes | field |
/// |---|---|
/// | 4 | magic `PYJ1` |
/// | 16 | journal identity (from the database's `store_meta`) |
/// | 8 | base: the last record folded into the database when this cycle began (little-endian) |
/// | 8 | sequence number: base + 1 for a cycle's first record, then one more each (little-endian) |
/// | 4 | payload length in bytes (little-endian) |
/// | payload | entries: kind (1 server, 2 client), txid (32, internal order), amount (8, LE); a server entry then a 2-byte length and the signature |
/// | 32 | SHA-256 of everything above |
///
/// A record is valid only whole: a torn write fails the checksum, and a record left from an
/// earlier cycle or another database fails the base, sequence or identity check.
package enum PaymentJournalRecord {
    /// The unit of the journal file and of each write.
    package static let blockSize = 4096
    package static let magic: [UInt8] = Array("PYJ1".utf8)
    /// Bytes before the payload.
    package static let headerSize = 4 + 16 + 8 + 8 + 4
    package static let checksumSize = 32
    /// Longest signature a journaled payment carries (a DER signature and its sighash byte
    /// take at most 73); a longer one goes to the database directly.
    static let maxSignatureLength = 255

    /// Bytes a record of `payloadSize` payload bytes takes, rounded up to whole blocks.
    package static func recordSize(payloadSize: Int) -> Int {
        let used = headerSize + payloadSize + checksumSize
        return (used + blockSize - 1) / blockSize * blockSize
    }

    /// Encodes a record (whole blocks, zero-padded).
    package static func encode(identity: [UInt8], base: UInt64, sequence: UInt64, entries: [JournaledPayment])
        -> [UInt8]
    {
        var bytes = encodeUnpadded(identity: identity, base: base, sequence: sequence, entries: entries)
        bytes += [UInt8](
            repeating: 0, count: recordSize(payloadSize: bytes.count - headerSize - checksumSize) - bytes.count)
        return bytes
    }

    /// Encodes a record up to its checksum: the bytes ``encode(identity:base:sequence:entries:)``
    /// makes before its zero padding (the journal file pads it in its own buffer).
    package static func encodeUnpadded(identity: [UInt8], base: UInt64, sequence: UInt64, entries: [JournaledPayment])
        -> [UInt8]
    {
        let payloadSize = entries.reduce(0) { $0 + $1.encodedSize }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + payloadSize + checksumSize)
        bytes += magic
        bytes += identity
        appendLittleEndian(base, to: &bytes)
        appendLittleEndian(sequence, to: &bytes)
        appendLittleEndian(UInt32(payloadSize), to: &bytes)
        for entry in entries {
            switch entry {
            case .server(let txid, let value, let signature):
                bytes.append(1)
                bytes += txid.internalBytes
                appendLittleEndian(UInt64(bitPattern: value.satoshis), to: &bytes)
                appendLittleEndian(UInt16(signature.count), to: &bytes)
                bytes += signature
            case .client(let txid, let valueLeft):
                bytes.append(2)
                bytes += txid.internalBytes
                appendLittleEndian(UInt64(bitPattern: valueLeft.satoshis), to: &bytes)
            }
        }
        bytes += Hashing.sha256(bytes)
        return bytes
    }

    /// A valid record at `offset` of `file` with this identity, base and sequence number: its
    /// entries and its size in bytes; nil when there is none (a zeroed block, a torn or stale
    /// record, or one from another database).
    package static func decode(
        _ file: UnsafeRawBufferPointer, at offset: Int, identity: [UInt8], base: UInt64, sequence: UInt64
    ) -> (entries: [JournaledPayment], size: Int)? {
        guard let length = payloadLength(file, at: offset, identity: identity, base: base, sequence: sequence),
            length <= file.count - offset - headerSize - checksumSize
        else { return nil }
        let payloadStart = offset + headerSize
        let checked = Array(file[offset..<(payloadStart + length)])
        guard Array(file[(payloadStart + length)..<(payloadStart + length + checksumSize)]) == Hashing.sha256(checked)
        else { return nil }
        var entries: [JournaledPayment] = []
        var payload = ByteReader(file, from: payloadStart, to: payloadStart + length)
        while !payload.atEnd {
            guard let entry = payload.entry() else { return nil }
            entries.append(entry)
        }
        return (entries, recordSize(payloadSize: length))
    }

    /// The size a record of this identity, base and sequence number at `offset` says it has,
    /// from its header alone (nil when no such header is there): tells a reader holding only
    /// the file's first bytes whether the record runs past them. Says nothing of its validity.
    package static func declaredSize(
        _ file: UnsafeRawBufferPointer, at offset: Int, identity: [UInt8], base: UInt64, sequence: UInt64
    ) -> Int? {
        payloadLength(file, at: offset, identity: identity, base: base, sequence: sequence).map {
            recordSize(payloadSize: $0)
        }
    }

    /// The payload length in the header at `offset`, if that header has this identity, base and
    /// sequence number.
    private static func payloadLength(
        _ file: UnsafeRawBufferPointer, at offset: Int, identity: [UInt8], base: UInt64, sequence: UInt64
    ) -> Int? {
        var reader = ByteReader(file, from: offset)
        guard reader.take(4) == magic, reader.take(16) == identity, reader.uint64() == base,
            reader.uint64() == sequence
        else { return nil }
        return reader.uint32().map(Int.init)
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Bounds-checked reads from a byte range: every read returns nil past the end.
private struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int? = nil) {
        self.bytes = bytes
        position = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var atEnd: Bool { position >= end }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, position <= end - count else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func uint64() -> UInt64? { integer(UInt64.self) }
    mutating func uint32() -> UInt32? { integer(UInt32.self) }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard let raw = take(MemoryLayout<T>.size) else { return nil }
        return raw.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    mutating func entry() -> JournaledPayment? {
        guard let kind = take(1)?.first, let txidBytes = take(32), let txid = Hash256(internalOrder: txidBytes),
            let raw = uint64(), let amount = try? Amount(satoshis: Int64(bitPattern: raw))
        else { return nil }
        switch kind {
        case 1:
            guard let length = integer(UInt16.self), let signature = take(Int(length)) else { return nil }
            return .server(contractTxid: txid, bestValueToServer: amount, signature: signature)
        case 2:
            return .client(contractTxid: txid, valueLeft: amount)
        default:
            return nil
        }
    }
}
