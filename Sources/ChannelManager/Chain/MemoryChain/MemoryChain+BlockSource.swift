import BitcoinPrimitives

/// A ``MemoryChain`` serves its blocks to a ``ChainFollower``. It never reorganizes: its best
/// chain is every block it mined.
extension MemoryChain: BlockSource {
    public func bestTip() async throws(ChainError) -> BlockPosition {
        state.withLock { state in
            BlockPosition(height: state.tipHeight, hash: state.blocks[state.tipHeight].hash)
        }
    }

    public func blockHash(atHeight height: Int) async throws(ChainError) -> Hash256? {
        state.withLock { state in state.blocks.indices.contains(height) ? state.blocks[height].hash : nil }
    }

    /// The block with `hash` as a real block: its header, then its transactions, a placeholder
    /// coinbase first when it has none of its own (see ``Block/header``).
    public func block(_ hash: Hash256) async throws(ChainError) -> BitcoinPrimitives.Block? {
        state.withLock { state -> BitcoinPrimitives.Block? in
            guard let height = state.blockHeights[hash] else { return nil }
            let block = state.blocks[height]
            let transactions = block.txids.compactMap { state.records[$0]?.transaction }
            return BitcoinPrimitives.Block(
                header: block.header, transactions: (block.placeholderCoinbase.map { [$0] } ?? []) + transactions)
        }
    }

    public func header(_ hash: Hash256) async throws(ChainError) -> ChainHeader? {
        state.withLock { state -> ChainHeader? in
            guard let height = state.blockHeights[hash] else { return nil }
            return ChainHeader(header: state.blocks[height].header, height: height)
        }
    }
}
