import BitcoinPrimitives

extension MemoryChain {
    /// A transaction a ``MemoryChain`` accepted, with what it spent.
    public struct Record: Sendable, Hashable {
        /// Where the transaction stands.
        public enum State: Sendable, Hashable {
            /// Waiting in the mempool.
            case inMempool
            /// Mined in the block at `height`.
            case confirmed(height: Int)
            /// Evicted from the mempool by a replacement (the conflicting transaction `by`, or a
            /// replacement of one of its ancestors).
            case replaced(by: Hash256)
        }

        /// The transaction.
        public let transaction: Transaction
        /// Its txid.
        public let txid: Hash256
        /// The output each input spent, in input order: `nil` for a coinbase input and for an
        /// input spending an output the chain never saw (see
        /// ``Configuration/acceptsUnknownInputs``).
        public let spentOutputs: [TransactionOutput?]
        /// Inputs minus outputs, when every input's value is known.
        public let fee: Amount?
        /// The clock's time when the chain accepted it.
        public let acceptedAt: UInt64
        /// Where it stands now.
        public internal(set) var state: State

        /// Whether it is a coinbase (created by ``MemoryChain/fund(outputs:)``).
        public var isCoinbase: Bool { transaction.isCoinbase }

        /// Whether it is in the mempool or in a block (not replaced).
        public var isLive: Bool {
            if case .replaced = state { return false }
            return true
        }

        /// The height of its block, if mined.
        public var blockHeight: Int? {
            if case .confirmed(let height) = state { return height }
            return nil
        }
    }

    /// A mined block.
    public struct Block: Sendable, Hashable {
        /// 0 for the genesis block the chain starts with.
        public let height: Int
        /// UNIX seconds: the clock's time, or one second past the median time past if that is
        /// later (block timestamps must exceed it).
        public let timestamp: UInt64
        /// The transactions in the block, in order (without the placeholder coinbase of a block
        /// that has none of its own: see ``MemoryChain/block(_:)``).
        public let txids: [Hash256]
        /// The block's header: regtest `bits` met, the merkle root of its transactions (the
        /// placeholder coinbase first, if it has one), the previous block's hash.
        public let header: BlockHeader
        /// The header's hash.
        public let hash: Hash256
        /// The coinbase that makes a block without one of its own a real block.
        let placeholderCoinbase: Transaction?
    }

    /// An unspent output.
    public struct Coin: Sendable, Hashable {
        /// The output.
        public let output: TransactionOutput
        /// The height of the block that created it; `nil` while its transaction is in the mempool.
        public let height: Int?
        /// Whether a coinbase transaction created it.
        public let isCoinbase: Bool
    }
}
