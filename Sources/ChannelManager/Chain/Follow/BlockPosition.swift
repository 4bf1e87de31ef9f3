import BitcoinPrimitives

/// A block's place on a chain: its height and hash.
public struct BlockPosition: Sendable, Hashable, CustomStringConvertible {
    /// 0 for the genesis block.
    public var height: Int
    /// The block's hash.
    public var hash: Hash256

    /// The block `hash` at `height`.
    public init(height: Int, hash: Hash256) {
        self.height = height
        self.hash = hash
    }

    public var description: String { "\(height) (\(hash.displayHex))" }
}

/// A block header with its height, as a ``BlockSource`` knows it (on the best chain or not).
public struct ChainHeader: Sendable, Hashable {
    /// The header.
    public let header: BlockHeader
    /// Its height (0 for the genesis block).
    public let height: Int

    /// `header` at `height`.
    public init(header: BlockHeader, height: Int) {
        self.header = header
        self.height = height
    }

    /// The block's hash.
    public var hash: Hash256 { header.hash }
    /// The hash of the block before it.
    public var previousBlockHash: Hash256 { header.previousBlockHash }
    /// Its height and hash.
    public var position: BlockPosition { BlockPosition(height: height, hash: hash) }
}
