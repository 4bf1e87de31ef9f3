import BitcoinPrimitives

/// Something the managers ask a ``ChainFollower`` to watch. Watch before broadcasting: the
/// follower looks only at blocks it connects from then on.
public enum ChainWatch: Sendable, Hashable {
    /// An outpoint (a contract's output, say): who spends it, in which block.
    case outpoint(OutPoint)
    /// A transaction someone else broadcasts: where it is confirmed.
    case transaction(Hash256)
    /// A transaction we broadcast (a settlement, a refund, a contract): where it is confirmed,
    /// and rebroadcast should a reorg take it off the chain.
    case ownTransaction(Transaction)
    /// A script (a wallet address): every output paying it is watched from the block that
    /// pays it on, and its transaction too.
    case script(Script)

    /// The index update that records it.
    var update: ChainIndexUpdate {
        switch self {
        case .outpoint(let outpoint): return .watchOutpoint(outpoint)
        case .transaction(let txid): return .watchTransaction(txid, own: nil)
        case .ownTransaction(let transaction): return .watchTransaction(transaction.txid, own: transaction)
        case .script(let script): return .watchScript(script)
        }
    }
}
