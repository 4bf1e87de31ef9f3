/// An 80-byte Bitcoin block header.
///
/// The block hash is hash256 of the 80 serialized bytes. Parsing (``init(bytes:)``) only reads the
/// fields; ``hasValidProofOfWork`` checks that the hash meets the target the header's own `bits`
/// encode (see ``CompactTarget``), which ``Block/init(bytes:)`` requires.
public struct BlockHeader: Hashable, Sendable {
    /// The serialized size of a header.
    public static let size = 80

    /// The block version (its upper bits signal soft-fork deployments).
    public var version: Int32
    /// The hash of the block this one builds on (``Hash256/zero`` for a genesis block).
    public var previousBlockHash: Hash256
    /// The merkle root of the block's txids.
    public var merkleRoot: Hash256
    /// UNIX seconds, as the miner stamped it.
    public var time: UInt32
    /// The proof-of-work target in compact form.
    public var bits: UInt32
    /// The value miners vary to meet the proof-of-work target.
    public var nonce: UInt32

    /// A header from its six fields, in serialization order.
    public init(
        version: Int32, previousBlockHash: Hash256, merkleRoot: Hash256, time: UInt32, bits: UInt32, nonce: UInt32
    ) {
        self.version = version
        self.previousBlockHash = previousBlockHash
        self.merkleRoot = merkleRoot
        self.time = time
        self.bits = bits
        self.nonce = nonce
    }

    /// Parses exactly 80 bytes.
    public init(bytes: [UInt8]) throws(ParseError) {
        var reader = ByteReader(bytes)
        self = try Self.parse(from: &reader)
        try reader.expectEnd()
    }

    /// Parses a hex-encoded header.
    public init(hex: String) throws(ParseError) {
        guard let bytes = [UInt8](hex: hex) else { throw .invalid("not hex") }
        try self.init(bytes: bytes)
    }

    /// Reads one header from `reader`, leaving it after the nonce.
    public static func parse(from reader: inout ByteReader) throws(ParseError) -> BlockHeader {
        let version = Int32(bitPattern: try reader.readUInt32LE())
        let previous = try reader.readHash()
        let merkleRoot = try reader.readHash()
        return BlockHeader(
            version: version, previousBlockHash: previous, merkleRoot: merkleRoot, time: try reader.readUInt32LE(),
            bits: try reader.readUInt32LE(), nonce: try reader.readUInt32LE())
    }

    /// The 80 serialized bytes.
    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.writeUInt32LE(UInt32(bitPattern: version))
        writer.write(previousBlockHash.internalBytes)
        writer.write(merkleRoot.internalBytes)
        writer.writeUInt32LE(time)
        writer.writeUInt32LE(bits)
        writer.writeUInt32LE(nonce)
        return writer.bytes
    }

    /// The block hash: hash256 of the serialized header.
    public var hash: Hash256 { Hashing.sha256d(serialized) }

    /// Whether ``hash`` meets the target encoded by ``bits`` (a valid, positive, non-overflowing
    /// compact target). Says nothing of whether `bits` is the right difficulty for the chain.
    public var hasValidProofOfWork: Bool {
        guard let target = CompactTarget(bits: bits) else { return false }
        return target.isMet(by: hash)
    }
}

extension ByteReader {
    /// Reads 32 bytes as a hash in internal order.
    mutating func readHash() throws(ParseError) -> Hash256 {
        guard let hash = Hash256(internalOrder: try readBytes(32)) else { throw .invalid("bad hash") }
        return hash
    }
}
