/// A Bitcoin block: a header and its transactions.
///
/// ``init(bytes:)`` parses and checks one strictly (see there); ``init(header:transactions:)``
/// builds one unchecked, and ``validate()`` checks it.
public struct Block: Hashable, Sendable {
    /// Bitcoin's block weight limit (BIP141 `MAX_BLOCK_WEIGHT`).
    public static let maximumWeight = 4_000_000

    /// The block's 80-byte header.
    public var header: BlockHeader
    /// The transactions, the coinbase first.
    public var transactions: [Transaction]

    /// A block from its parts, unchecked.
    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
    }

    /// The block hash (the header's).
    public var hash: Hash256 { header.hash }

    /// The serialized block: header, transaction count, transactions (with witnesses).
    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: BlockHeader.size + 9 + transactions.count * 250)
        writer.write(header.serialized)
        writer.writeCompactSize(UInt64(transactions.count))
        for transaction in transactions { writer.write(transaction.serialized) }
        return writer.bytes
    }

    /// The merkle root of the transactions' txids and whether the tree is mutated (see
    /// ``MerkleTree/root(of:)``).
    public func computedMerkleRoot() -> (root: Hash256?, mutated: Bool) {
        MerkleTree.root(of: transactions.map(\.txid))
    }
}
