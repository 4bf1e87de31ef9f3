/// What a ``ChannelStore`` keeps for the chain follower: its ``ChainIndex``, changed by
/// ``StoreWrite/chainIndex(_:)`` writes (applied by ``ChainIndex/apply(_:)``'s rules, in the
/// same transaction as the other writes of their ``ChannelStore/enqueue(_:)`` call) and read
/// here.
public protocol ChainIndexStore: AnyObject, Sendable {
    /// The whole chain index, as every write enqueued before this read left it.
    func chainIndex() async throws(StoreError) -> ChainIndex
}
