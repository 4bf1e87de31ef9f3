import BitcoinPrimitives

/// One change to the chain follower's durable index (``ChainIndex``), written as
/// ``StoreWrite/chainIndex(_:)``. Every store applies them by the rules of
/// ``ChainIndex/apply(_:)``.
public enum ChainIndexUpdate: Sendable, Hashable {
    /// The follower's cursor: the last block it connected on the followed chain.
    case cursor(BlockPosition)
    /// Watch `outpoint` for a spend (kept, with its spend, if already watched).
    case watchOutpoint(OutPoint)
    /// Watch the transaction `txid` for confirmation. With `own`, the transaction is ours (we
    /// broadcast it) and is rebroadcast when a reorg takes it off the chain; `own` of an already
    /// watched transaction is added to it.
    case watchTransaction(Hash256, own: Transaction?)
    /// Watch outputs paying `script`: the follower watches each such output it sees, and its
    /// transaction.
    case watchScript(Script)
    /// The spend of a watched outpoint: found in a block, or gone (`nil`) when that block left.
    case outpointSpend(OutPoint, ChainSpend?)
    /// Where a watched transaction is confirmed (`nil`: in no block of the followed chain), and
    /// whether it left the chain in a reorg and waits to be rebroadcast.
    case transactionBlock(Hash256, BlockPosition?, leftChain: Bool)
}
