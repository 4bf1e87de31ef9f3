import BitcoinPrimitives
import Logging

extension ChainFollower {
    /// Brings the follower to the source's best tip: disconnects blocks a reorg left behind,
    /// connects the new ones (each block one durable enqueue, see the type's documentation),
    /// then rebroadcasts our transactions that left the chain. Throws on the first failure,
    /// with every block step before it durable; the next poll goes on from there.
    @discardableResult
    public func poll() async throws(ChainFollowError) -> Progress {
        await pollGate.enter()
        defer { pollGate.leave() }
        var progress = Progress()
        var tip = try await fromSource { () async throws(ChainError) in try await source.bestTip() }
        // Whether the cursor must be checked against the best chain (at first, and whenever
        // a block did not build on it).
        var checkCursor = true
        // A source whose next block does not build on a cursor it still says is on its best
        // chain, twice running, is inconsistent.
        var unlinkedInARow = 0
        while true {
            let cursor = index.cursor
            if let cursor, checkCursor {
                let hash = try await fromSource { () async throws(ChainError) in
                    try await source.blockHash(atHeight: cursor.height)
                }
                if hash != cursor.hash {
                    try await disconnect(at: cursor)
                    progress.disconnected += cursor.height >= birthday ? 1 : 0
                    continue
                }
                checkCursor = false
            }
            let next = cursor.map { $0.height + 1 } ?? birthday
            guard next <= tip.height else { break }
            guard
                let hash = try await fromSource({ () async throws(ChainError) in
                    try await source.blockHash(atHeight: next)
                })
            else {
                // The best chain got shorter since the tip was read.
                tip = try await fromSource { () async throws(ChainError) in try await source.bestTip() }
                checkCursor = true
                continue
            }
            let block = try await fetchBlock(hash)
            if let cursor, block.header.previousBlockHash != cursor.hash {
                unlinkedInARow += 1
                guard unlinkedInARow < 2 else {
                    throw .badSource("block \(next) (\(hash)) does not build on \(cursor), which is on the best chain")
                }
                checkCursor = true
                continue
            }
            unlinkedInARow = 0
            try await connect(block, at: BlockPosition(height: next, hash: hash))
            progress.connected += 1
        }
        progress.rebroadcast = try await rebroadcastLeftTransactions()
        progress.cursor = index.cursor
        return progress
    }

    /// Polls every `interval` until the task is cancelled, logging failures (a node that is
    /// down or warming up is retried at the next poll).
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                let progress = try await poll()
                if progress.connected > 0 || progress.disconnected > 0 {
                    logger.debug(
                        "chain: +\(progress.connected) -\(progress.disconnected) blocks, at \(progress.cursor?.description ?? "none")"
                    )
                }
            } catch {
                logger.warning("\(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    // MARK: Steps

    /// Connects `block` at `position`: the listeners' writes, the index's, the cursor's, in one
    /// enqueue.
    private func connect(_ block: Block, at position: BlockPosition) async throws(ChainFollowError) {
        await indexGate.enter()
        defer { indexGate.leave() }
        let listeners = self.listeners
        var writes: [StoreWrite] = []
        for listener in listeners { writes += await listener.blockConnected(block, height: position.height) }
        try await step(writes, position: position) { (index: inout ChainIndex) throws(StoreError) in
            try index.connect(block, at: position)
        }
        for listener in listeners { await listener.blockWritesDurable(at: position) }
    }

    /// Disconnects the block at the cursor `position` (listeners told, in reverse order), moving
    /// the cursor to the block before it. Below the birthday nothing was connected: only the
    /// cursor moves back.
    private func disconnect(at position: BlockPosition) async throws(ChainFollowError) {
        guard position.height > 0 else { throw .badSource("the best chain does not have genesis block \(position)") }
        if position.height < birthday {
            let header = try await fromSource { () async throws(ChainError) in try await source.header(position.hash) }
            guard let header, header.hash == position.hash else {
                throw .badSource("the source does not have block \(position), which a reorg left behind")
            }
            let previous = BlockPosition(height: position.height - 1, hash: header.previousBlockHash)
            await indexGate.enter()
            defer { indexGate.leave() }
            try await step([], position: previous) { (index: inout ChainIndex) throws(StoreError) in
                try index.apply(.cursor(previous))
                return [.cursor(previous)]
            }
            return
        }
        let block = try await fetchBlock(position.hash)
        await indexGate.enter()
        defer { indexGate.leave() }
        let listeners = self.listeners
        var writes: [StoreWrite] = []
        for listener in listeners.reversed() {
            writes += await listener.blockDisconnected(block, height: position.height)
        }
        let previous = BlockPosition(height: position.height - 1, hash: block.header.previousBlockHash)
        try await step(writes, position: previous) { (index: inout ChainIndex) throws(StoreError) in
            try index.disconnect(block, at: position)
        }
        logger.info("chain: block \(position) left the best chain")
        for listener in listeners { await listener.blockWritesDurable(at: previous) }
    }

    /// One durable block step: the listeners' `writes` (their index updates applied to a copy
    /// of the index first), then the follower's own updates from `change`, in one enqueue.
    /// Call holding the index gate.
    private func step(
        _ writes: [StoreWrite], position: BlockPosition,
        _ change: (inout ChainIndex) throws(StoreError) -> [ChainIndexUpdate]
    ) async throws(ChainFollowError) {
        do {
            var scratch = index
            for case .chainIndex(let update) in writes { try scratch.apply(update) }
            let own = try change(&scratch)
            try await commit(writes + own.map(StoreWrite.chainIndex), leaving: scratch)
        } catch {
            throw .store(error)
        }
    }

    /// The block with `hash` from the source, checked to be that block.
    private func fetchBlock(_ hash: Hash256) async throws(ChainFollowError) -> Block {
        let block = try await fromSource { () async throws(ChainError) in try await source.block(hash) }
        guard let block else { throw .badSource("the source does not have block \(hash)") }
        guard block.hash == hash else { throw .badSource("asked for block \(hash), the source answered \(block.hash)") }
        return block
    }

    // MARK: Rebroadcast

    /// Rebroadcasts our transactions flagged as having left the chain and still in no block.
    /// One the node takes (or has) loses its flag; so does one it refuses for good (a conflict
    /// won: logged); one it cannot take now (node down, not final, its fee below the mempool's
    /// floor for now) keeps it for the next poll.
    private func rebroadcastLeftTransactions() async throws(ChainFollowError) -> [Hash256] {
        let pending = index.transactions.values.filter { $0.leftChain && $0.block == nil }
        var rebroadcast: [Hash256] = []
        for watched in pending {
            guard let transaction = watched.ownTransaction else { continue }
            do {
                try await broadcaster.broadcast(transaction)
                rebroadcast.append(watched.txid)
                logger.info("chain: rebroadcast \(watched.txid.displayHex), which a reorg took off the chain")
            } catch  where Self.retriesRebroadcast(after: error) {
                logger.warning("chain: rebroadcast of \(watched.txid.displayHex) failed, will retry: \(error)")
                continue
            } catch {
                logger.warning("chain: \(watched.txid.displayHex) left the chain and cannot return: \(error)")
            }
            try await clearLeftChain(watched.txid)
        }
        return rebroadcast.sorted { $0.displayHex < $1.displayHex }
    }

    /// Whether a rebroadcast refused with `error` may succeed later.
    private static func retriesRebroadcast(after error: ChainError) -> Bool {
        [.unavailable, .notFinal, .feeTooLow].contains(error.kind)
    }

    private func clearLeftChain(_ txid: Hash256) async throws(ChainFollowError) {
        await indexGate.enter()
        defer { indexGate.leave() }
        guard let watched = index.transactions[txid], watched.block == nil, watched.leftChain else { return }
        let update = ChainIndexUpdate.transactionBlock(txid, nil, leftChain: false)
        do {
            var scratch = index
            try scratch.apply(update)
            try await commit([.chainIndex(update)], leaving: scratch)
        } catch {
            throw .store(error)
        }
    }

    /// Runs a source call, its failure as ``ChainFollowError/source(_:)``.
    private func fromSource<T>(_ body: () async throws(ChainError) -> T) async throws(ChainFollowError) -> T {
        do { return try await body() } catch { throw .source(error) }
    }
}
