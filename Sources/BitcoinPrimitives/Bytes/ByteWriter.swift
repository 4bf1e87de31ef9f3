/// Appends Bitcoin's little-endian integers and CompactSize lengths to a byte array.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room reserved for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func write(_ byte: UInt8) { bytes.append(byte) }

    /// Appends bytes as they are.
    public mutating func write(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// Appends a 16-bit integer, little-endian.
    public mutating func writeUInt16LE(_ value: UInt16) { writeLittleEndian(UInt64(value), 2) }
    /// Appends a 32-bit integer, little-endian.
    public mutating func writeUInt32LE(_ value: UInt32) { writeLittleEndian(UInt64(value), 4) }
    /// Appends a 64-bit integer, little-endian.
    public mutating func writeUInt64LE(_ value: UInt64) { writeLittleEndian(value, 8) }
    /// Appends a signed 64-bit integer, little-endian (two's complement).
    public mutating func writeInt64LE(_ value: Int64) { writeLittleEndian(UInt64(bitPattern: value), 8) }

    private mutating func writeLittleEndian(_ value: UInt64, _ n: Int) {
        for i in 0..<n { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// Writes `value` as a CompactSize integer in its shortest form.
    public mutating func writeCompactSize(_ value: UInt64) {
        switch value {
        case 0..<0xfd: bytes.append(UInt8(value))
        case 0xfd...0xffff:
            bytes.append(0xfd)
            writeUInt16LE(UInt16(value))
        case 0x1_0000...0xffff_ffff:
            bytes.append(0xfe)
            writeUInt32LE(UInt32(value))
        default:
            bytes.append(0xff)
            writeUInt64LE(value)
        }
    }

    /// Writes a CompactSize length followed by the bytes.
    public mutating func writeVarBytes(_ data: [UInt8]) {
        writeCompactSize(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// The encoded size of a CompactSize for `value`.
    public static func compactSizeLength(_ value: UInt64) -> Int {
        switch value {
        case 0..<0xfd: return 1
        case 0xfd...0xffff: return 3
        case 0x1_0000...0xffff_ffff: return 5
        default: return 9
        }
    }
}
