import BitcoinPrimitives

/// Something that follows the chain block by block with a ``ChainFollower`` (the seed wallet
/// finding its coins, say), keeping what it learns in the same ``ChannelStore``.
///
/// For each block the follower connects (or disconnects on a reorg) it asks every listener for
/// the writes the block calls for, and enqueues them in ONE ``ChannelStore/enqueue(_:)`` with
/// its own index writes and its cursor's move, so that a crash never keeps one without the
/// others: after a restart the follower resumes at the stored cursor, and the block after it is
/// offered again.
///
/// Rules for a listener:
/// - Return writes; change nothing durable any other way from these calls. Do not call the
///   follower's `watch` methods from them (the follower is busy with the block): return
///   ``StoreWrite/chainIndex(_:)`` watches instead; the follower applies those to its index
///   too, before it looks at the block's transactions, so an output the block pays and spends
///   is seen spent.
/// - Keep in-memory state in step only once ``blockWritesDurable(at:)`` says the writes are
///   durable. If they fail, the follower stops (every later poll throws) and must be made
///   anew from the store, listeners with it.
public protocol ChainListener: AnyObject, Sendable {
    /// `block`, at `height`, joined the followed chain. Returns the writes it calls for.
    func blockConnected(_ block: Block, height: Int) async -> [StoreWrite]
    /// `block`, at `height`, left the followed chain (a reorg), the blocks above it already
    /// disconnected. Returns the writes that undo what it brought.
    func blockDisconnected(_ block: Block, height: Int) async -> [StoreWrite]
    /// The writes returned for the block now at the follower's cursor `position` are durable.
    /// The default does nothing.
    func blockWritesDurable(at position: BlockPosition?) async
}

extension ChainListener {
    public func blockWritesDurable(at position: BlockPosition?) async {}
}
