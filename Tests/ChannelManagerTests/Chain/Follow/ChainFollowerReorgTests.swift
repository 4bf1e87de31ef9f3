import BitcoinPrimitives
import ChannelManager
import Foundation
import Testing

/// The chain follower fed real regtest blocks recorded from Bitcoin Core (``RecordedReorg``),
/// through a 2-block reorg that takes a settlement off the chain, over an SQLite store that is
/// closed and reopened between polls (a restart).
@Suite("ChainFollower through a recorded regtest reorg")
struct ChainFollowerReorgTests {
    let recording: RecordedReorg

    init() throws { recording = try RecordedReorg.load() }

    /// A follower from height 100 that has watched the funding, its output, the settlement (as
    /// ours) and the wallet script since block 101, and followed the "before" chain to 104.
    func followBefore(_ path: String, source: RecordedBlockSource, broadcaster: RecordingBroadcaster) async throws
        -> ChainFollower
    {
        source.set(.before, upTo: 101)
        let store = try SQLiteChannelStore(path: path)
        defer { store.close() }
        let follower = try await ChainFollower(source: source, store: store, broadcaster: broadcaster, birthday: 100)
        #expect(try await follower.poll().connected == 2)
        try await follower.watch([
            .transaction(recording.fundingTxid), .outpoint(recording.watchedOutpoint),
            .ownTransaction(recording.settlement), .script(recording.walletScript),
        ])
        source.set(.before)
        let progress = try await follower.poll()
        #expect(progress.connected == 3 && progress.disconnected == 0 && progress.rebroadcast.isEmpty)
        return follower
    }

    /// Runs `body` with a store file in which ``followBefore(_:source:broadcaster:)`` ran, and the
    /// follower that ran it (its store closed).
    func withFollowedBefore(
        _ body: (String, RecordedBlockSource, RecordingBroadcaster, ChainFollower) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let source = RecordedBlockSource(recording, phase: .before)
            let broadcaster = RecordingBroadcaster()
            let follower = try await followBefore(path, source: source, broadcaster: broadcaster)
            try await body(path, source, broadcaster, follower)
        }
    }

    /// A restart: the store reopened and a follower on it (close the store when done).
    func restart(_ path: String, _ source: RecordedBlockSource, _ broadcaster: RecordingBroadcaster) async throws
        -> (SQLiteChannelStore, ChainFollower)
    {
        let store = try SQLiteChannelStore(path: path)
        do {
            return (
                store, try await ChainFollower(source: source, store: store, broadcaster: broadcaster, birthday: 100)
            )
        } catch {
            store.close()
            throw error
        }
    }

    @Test("the settlement is seen, the reorg takes it away and it is rebroadcast, mined again it is seen again")
    func reorgRemovesSettlement() async throws {
        try await withFollowedBefore { path, source, broadcaster, beforeRestart in
            let settlement = recording.settlement.txid
            #expect(beforeRestart.status(of: recording.fundingTxid) == .confirmed(confirmations: 3))
            #expect(beforeRestart.status(of: settlement) == .confirmed(confirmations: 2))
            let spend = try #require(beforeRestart.spender(of: recording.watchedOutpoint))
            #expect(spend.txid == settlement && spend.transaction == recording.settlement)
            #expect(spend.block == recording.position(.before, 103))
            #expect(spend.block.hash == recording.settlementBlock)
            #expect(beforeRestart.knownTransaction(settlement) == recording.settlement)
            #expect(beforeRestart.knownTransaction(recording.fundingTxid) == nil)
            // The settlement pays the wallet script: that output is watched too.
            #expect(beforeRestart.isWatching(OutPoint(txid: settlement, index: 0)))

            // A restart: a new store and follower on the same file resume at the cursor.
            let (store, follower) = try await restart(path, source, broadcaster)
            defer { store.close() }
            #expect(follower.cursor == recording.position(.before, 104))
            #expect(follower.index == beforeRestart.index)
            let listener = RecordingListener()
            follower.add(listener)

            source.set(.after)
            let progress = try await follower.poll()
            #expect(progress.disconnected == 2 && progress.connected == 3)
            #expect(progress.rebroadcast == [settlement])
            #expect(broadcaster.broadcast == [recording.settlement])
            #expect(follower.spender(of: recording.watchedOutpoint) == nil)
            #expect(follower.status(of: settlement) == .unknown)
            #expect(follower.status(of: recording.fundingTxid) == .confirmed(confirmations: 4))
            #expect(follower.cursor == recording.position(.after, 105))
            let before = recording.chain(.before)
            let after = recording.chain(.after)
            #expect(
                listener.blockEvents == [
                    .disconnected(before[104], height: 104), .disconnected(before[103], height: 103),
                    .connected(after[103], height: 103), .connected(after[104], height: 104),
                    .connected(after[105], height: 105),
                ])
            // Rebroadcast, it is no longer flagged; the store holds what the follower shows.
            #expect(follower.index.transactions[settlement]?.leftChain == false)
            #expect(try await store.chainIndex() == follower.index)

            // Nothing new: nothing happens, nothing is rebroadcast again.
            #expect(try await follower.poll() == progressAt(recording.position(.after, 105)))
            source.set(.again)
            let again = try await follower.poll()
            #expect(again.connected == 1 && again.disconnected == 0 && again.rebroadcast.isEmpty)
            #expect(follower.spender(of: recording.watchedOutpoint)?.block == recording.position(.again, 106))
            #expect(follower.status(of: settlement) == .confirmed(confirmations: 1))
            #expect(broadcaster.broadcast.count == 1)
        }
    }

    @Test("stopped in the middle of the reorg, a restarted follower finishes it and still rebroadcasts")
    func crashDuringReorg() async throws {
        try await withFollowedBefore { path, source, broadcaster, _ in
            do {
                let (store, follower) = try await restart(path, source, broadcaster)
                defer { store.close() }
                // The first block of the new branch cannot be stored: the poll stops there.
                let refusing = RecordingListener()
                refusing.answerConnected { block, _ in
                    [.walletOutputsSpent([OutPoint(txid: block.hash, index: 0)], spendingTxid: block.hash)]
                }
                follower.add(refusing)
                source.set(.after)
                await #expect(throws: ChainFollowError.self) { try await follower.poll() }
                #expect(follower.cursor == recording.position(.before, 102))
                #expect(broadcaster.broadcast.isEmpty)
            }
            let (store, follower) = try await restart(path, source, broadcaster)
            defer { store.close() }
            let stored = try await store.chainIndex()
            #expect(stored.cursor == recording.position(.before, 102))
            #expect(stored.transactions[recording.settlement.txid]?.leftChain == true)
            let progress = try await follower.poll()
            #expect(progress.disconnected == 0 && progress.connected == 3)
            #expect(progress.rebroadcast == [recording.settlement.txid])
            #expect(follower.spender(of: recording.watchedOutpoint) == nil)
        }
    }

    @Test("a rebroadcast the node cannot take now is retried at the next poll; one refused for good is dropped")
    func rebroadcastRetries() async throws {
        try await withFollowedBefore { path, source, broadcaster, _ in
            let (store, resumed) = try await restart(path, source, broadcaster)
            defer { store.close() }
            broadcaster.fail(with: ChainError(.unavailable, "node down"))
            source.set(.after)
            #expect(try await resumed.poll().rebroadcast.isEmpty)
            broadcaster.fail(with: ChainError(.feeTooLow, "mempool min fee not met"))
            #expect(try await resumed.poll().rebroadcast.isEmpty)
            #expect(broadcaster.broadcast.count == 2)
            #expect(resumed.index.transactions[recording.settlement.txid]?.leftChain == true)
            broadcaster.fail(with: ChainError(.doubleSpend, "a conflict was mined"))
            #expect(try await resumed.poll().rebroadcast.isEmpty)
            #expect(resumed.index.transactions[recording.settlement.txid]?.leftChain == false)
            #expect(try await resumed.poll().rebroadcast.isEmpty)
            #expect(broadcaster.broadcast.count == 3)
        }
    }

    private func progressAt(_ cursor: BlockPosition) -> ChainFollower.Progress {
        var progress = ChainFollower.Progress()
        progress.cursor = cursor
        return progress
    }
}
