import BitcoinPrimitives

/// What a node without a transaction index (`-txindex`) cannot answer: where transactions and
/// spends stand in blocks. A chain backend over such a node answers mempool and unspent-output
/// questions itself and asks a ``ConfirmedHistory`` (a block index kept by following the chain)
/// for the rest. Every answer is about the node's current best chain.
public protocol ConfirmedHistory: Sendable {
    /// The confirmations of `txid` if it is in a block of the best chain (1 in the tip), nil
    /// when the index has not seen it in one.
    func confirmations(of txid: Hash256) async throws(ChainError) -> UInt32?

    /// The txid of the mined transaction that spends `outpoint`, nil when the index has not
    /// seen one in a block.
    func confirmedSpender(of outpoint: OutPoint) async throws(ChainError) -> Hash256?

    /// A mined transaction the index keeps, nil when it keeps none with that txid.
    func confirmedTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction?
}
