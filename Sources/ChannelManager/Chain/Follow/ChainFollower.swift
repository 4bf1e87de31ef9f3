import BitcoinPrimitives
import Logging
import Synchronization

/// Follows a node's best chain block by block (``BlockSource``), keeping a small durable index
/// of what the managers watch (``ChainIndex``) and its cursor in the ``ChannelStore``, and
/// telling ``ChainListener``s (the seed wallet) of every block.
///
/// ## Following
///
/// ``poll()`` connects the blocks after the cursor up to the source's tip, one at a time: for
/// each it asks every listener for its writes, works out what the block does to the watched
/// items (`ChainIndex.connect`), and enqueues all of it with the cursor's move in ONE
/// ``ChannelStore/enqueue(_:)``, waiting until it is durable before the next block. A crash
/// thus never separates a block's effects from the cursor: a restart resumes at the stored
/// cursor. Without a cursor, following starts at the ``birthday`` height.
///
/// ## Reorgs
///
/// When the block at the cursor is no longer on the best chain (or the next block does not
/// build on it), the follower disconnects blocks back to the fork point, each in one enqueue as
/// above (listeners are told, spends and confirmations in it are forgotten), then connects the
/// new branch. Our own transactions (``ChainWatch/ownTransaction(_:)``) that left the chain and
/// are in no block of the new branch are rebroadcast through the ``TransactionBroadcaster`` at
/// the end of the poll; the flag saying so is durable, so a crash before that does not lose it.
///
/// ## Answers
///
/// ``status(of:)`` and ``spender(of:)`` answer from the index for watched items, counting
/// confirmations from the cursor. They know blocks only: mempool questions are the backend's.
///
/// Watches and block steps are serialized; polls too (one at a time).
public final class ChainFollower: Sendable {
    /// What one ``poll()`` did.
    public struct Progress: Sendable, Hashable {
        /// Blocks connected.
        public var connected = 0
        /// Blocks disconnected by reorgs.
        public var disconnected = 0
        /// Our transactions rebroadcast (accepted by the broadcaster) after leaving the chain.
        public var rebroadcast: [Hash256] = []
        /// The cursor afterwards.
        public var cursor: BlockPosition?

        /// Nothing done yet.
        public init() {}
    }

    private struct State {
        var index: ChainIndex
        var listeners: [any ChainListener] = []
    }

    /// The height following starts at when the store has no cursor.
    public let birthday: Int
    let source: any BlockSource
    let store: any ChannelStore
    let broadcaster: any TransactionBroadcaster
    let logger: Logger
    private let state: Mutex<State>
    /// Serializes changes to the index (block steps, watches, rebroadcast flags).
    let indexGate = AsyncGate()
    /// One poll at a time.
    let pollGate = AsyncGate()

    /// A follower resuming from the index stored in `store`.
    /// - Parameters:
    ///   - source: the node whose best chain is followed.
    ///   - store: where the index and cursor are kept, and the listeners' writes go with them.
    ///   - birthday: the first height to connect when the store has no cursor (a wallet's
    ///     birthday; 0 for the whole chain). Negative values count as 0.
    ///   - broadcaster: rebroadcasts our transactions a reorg took off the chain.
    ///   - logger: where reorgs, rebroadcasts and failures are logged.
    public init(
        source: any BlockSource, store: any ChannelStore, broadcaster: any TransactionBroadcaster, birthday: Int,
        logger: Logger = Logger(label: "paychan.chain-follower")
    ) async throws(StoreError) {
        self.source = source
        self.store = store
        self.broadcaster = broadcaster
        self.birthday = max(birthday, 0)
        self.logger = logger
        state = Mutex(State(index: try await store.chainIndex()))
    }

    /// Adds a listener, told of every block connected or disconnected from now on.
    public func add(_ listener: any ChainListener) {
        state.withLock { $0.listeners.append(listener) }
    }

    var listeners: [any ChainListener] { state.withLock { $0.listeners } }

    // MARK: Watching

    /// Watches `items`, durably, once every block step under way is done.
    public func watch(_ items: [ChainWatch]) async throws(StoreError) {
        guard !items.isEmpty else { return }
        await indexGate.enter()
        defer { indexGate.leave() }
        var scratch = index
        var writes: [StoreWrite] = []
        for item in items {
            try scratch.apply(item.update)
            writes.append(.chainIndex(item.update))
        }
        try await commit(writes, leaving: scratch)
    }

    /// Watches one item.
    public func watch(_ item: ChainWatch) async throws(StoreError) {
        try await watch([item])
    }

    // MARK: Answers

    /// The index as the last durable step left it.
    public var index: ChainIndex { state.withLock { $0.index } }

    /// The last block connected; `nil` before the first.
    public var cursor: BlockPosition? { index.cursor }

    /// Where a watched transaction stands on the followed chain: `.confirmed` (1 in the cursor's
    /// block) or `.unknown` (in no block of it; the mempool may have it). `nil` when not watched.
    public func status(of txid: Hash256) -> TransactionStatus? {
        state.withLock { state -> TransactionStatus? in
            guard let watched = state.index.transactions[txid] else { return nil }
            guard let block = watched.block, let cursor = state.index.cursor, cursor.height >= block.height else {
                return .unknown
            }
            return .confirmed(confirmations: UInt32(clamping: cursor.height - block.height + 1))
        }
    }

    /// The transaction spending a watched outpoint in a block of the followed chain, if any
    /// (`nil` also when the outpoint is not watched).
    public func spender(of outpoint: OutPoint) -> ChainSpend? {
        state.withLock { $0.index.outpoints[outpoint]?.spend }
    }

    /// A transaction the index holds: one of ours, or one spending a watched outpoint in a block
    /// of the followed chain (a settlement the server broadcast, say). No node lookup needed.
    public func knownTransaction(_ txid: Hash256) -> Transaction? {
        state.withLock { state -> Transaction? in
            if let own = state.index.transactions[txid]?.ownTransaction { return own }
            return state.index.outpoints.values.first { $0.spend?.txid == txid }?.spend?.transaction
        }
    }

    /// Whether `outpoint` is watched.
    public func isWatching(_ outpoint: OutPoint) -> Bool {
        state.withLock { $0.index.outpoints[outpoint] != nil }
    }

    // MARK: Committing

    /// Enqueues `writes` in one call, waits until durable, then makes `scratch` (the index with
    /// the writes' index updates applied) the follower's index. Call holding ``indexGate``.
    func commit(_ writes: [StoreWrite], leaving scratch: ChainIndex) async throws(StoreError) {
        try await store.waitUntilDurable(store.enqueue(writes))
        state.withLock { $0.index = scratch }
    }
}
