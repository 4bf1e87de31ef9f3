import BitcoinPrimitives

/// Where a ``ChainFollower`` reads the chain from: a node's best chain and the blocks and
/// headers it has (Bitcoin Core over RPC, ``MemoryChain``, recorded blocks in tests).
///
/// A source answers what it has now; between two calls its best chain may change (a reorg).
/// The follower checks what it is given: a block whose hash is not the one asked for, or that
/// does not build on the block before it, is treated as a changed chain or a faulty source,
/// never trusted.
public protocol BlockSource: Sendable {
    /// The tip of the best chain.
    func bestTip() async throws(ChainError) -> BlockPosition
    /// The hash of the best chain's block at `height`; `nil` when `height` is above the tip (or
    /// negative).
    func blockHash(atHeight height: Int) async throws(ChainError) -> Hash256?
    /// The block with `hash`, on the best chain or not (a block a reorg left behind, which the
    /// follower needs to disconnect); `nil` when the source does not have it.
    func block(_ hash: Hash256) async throws(ChainError) -> Block?
    /// The header with `hash` and its height, on the best chain or not; `nil` when unknown.
    func header(_ hash: Hash256) async throws(ChainError) -> ChainHeader?
}
