import BitcoinPrimitives

/// The follower's index answers a node backend's confirmed-history questions (a Bitcoin Core
/// node without `-txindex` keeps no record of spent outputs or of mined transactions).
extension ChainFollower: ConfirmedHistory {
    /// The confirmations of a watched transaction in a block of the followed chain.
    public func confirmations(of txid: Hash256) async throws(ChainError) -> UInt32? {
        guard case .confirmed(let confirmations)? = status(of: txid) else { return nil }
        return confirmations
    }

    /// The mined spender of a watched outpoint.
    public func confirmedSpender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? {
        spender(of: outpoint)?.txid
    }

    /// A mined transaction the index keeps: a watched outpoint's spender, or one of our own
    /// watched transactions while it is in a block.
    public func confirmedTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? {
        let index = index
        if let watched = index.transactions[txid], watched.block != nil, let transaction = watched.ownTransaction {
            return transaction
        }
        return index.outpoints.values.lazy.compactMap(\.spend).first { $0.txid == txid }?.transaction
    }
}
