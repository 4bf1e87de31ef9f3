/// A cursor over a byte array that reads Bitcoin's little-endian integers and CompactSize
/// lengths. Every read checks bounds and throws ``ParseError`` instead of trapping.
public struct ByteReader: Sendable {
    /// The largest length or count a CompactSize may announce (Bitcoin Core's `MAX_SIZE`).
    public static let maxCompactSize: UInt64 = 0x0200_0000

    /// All the bytes, read or not.
    public let bytes: [UInt8]
    /// Index of the next byte to read.
    public private(set) var offset: Int

    /// A reader of `bytes` starting at `offset`.
    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }
    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset >= bytes.count }

    private func require(_ n: Int) throws(ParseError) {
        guard n >= 0, n <= remaining else { throw .truncated(offset: offset, needed: n) }
    }

    /// Reads one byte; throws when none is left.
    public mutating func readUInt8() throws(ParseError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a little-endian 16-bit integer; throws when fewer than 2 bytes are left.
    public mutating func readUInt16LE() throws(ParseError) -> UInt16 {
        UInt16(try readLittleEndian(2))
    }

    /// Reads a little-endian 32-bit integer; throws when fewer than 4 bytes are left.
    public mutating func readUInt32LE() throws(ParseError) -> UInt32 {
        UInt32(try readLittleEndian(4))
    }

    /// Reads a little-endian 64-bit integer; throws when fewer than 8 bytes are left.
    public mutating func readUInt64LE() throws(ParseError) -> UInt64 {
        try readLittleEndian(8)
    }

    /// Reads a little-endian signed 64-bit integer; throws when fewer than 8 bytes are left.
    public mutating func readInt64LE() throws(ParseError) -> Int64 {
        Int64(bitPattern: try readLittleEndian(8))
    }

    private mutating func readLittleEndian(_ n: Int) throws(ParseError) -> UInt64 {
        try require(n)
        var value: UInt64 = 0
        for i in 0..<n { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += n
        return value
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(ParseError) -> [UInt8] {
        try require(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a CompactSize integer, refusing non-canonical encodings.
    public mutating func readCompactSize() throws(ParseError) -> UInt64 {
        let start = offset
        let first = try readUInt8()
        let value: UInt64
        switch first {
        case 0..<0xfd: return UInt64(first)
        case 0xfd:
            value = UInt64(try readUInt16LE())
            guard value >= 0xfd else { throw .nonCanonicalCompactSize(offset: start) }
        case 0xfe:
            value = UInt64(try readUInt32LE())
            guard value > 0xffff else { throw .nonCanonicalCompactSize(offset: start) }
        default:
            value = try readUInt64LE()
            guard value > 0xffff_ffff else { throw .nonCanonicalCompactSize(offset: start) }
        }
        return value
    }

    /// Reads a CompactSize used as a length or count, at most ``maxCompactSize``, and no more
    /// than the bytes left (each counted item takes at least `minimumItemSize` bytes).
    public mutating func readLength(minimumItemSize: Int = 1) throws(ParseError) -> Int {
        let start = offset
        let value = try readCompactSize()
        guard value <= Self.maxCompactSize else { throw .sizeTooLarge(offset: start, size: value) }
        let count = Int(value)
        let (needed, overflow) = count.multipliedReportingOverflow(by: max(minimumItemSize, 0))
        guard !overflow, needed <= remaining else { throw .truncated(offset: offset, needed: needed) }
        return count
    }

    /// Reads a CompactSize length followed by that many bytes.
    public mutating func readVarBytes() throws(ParseError) -> [UInt8] {
        let count = try readLength()
        return try readBytes(count)
    }

    /// Throws unless every byte has been read.
    public func expectEnd() throws(ParseError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }
}
