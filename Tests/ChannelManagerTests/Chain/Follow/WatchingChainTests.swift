import BitcoinPrimitives
import ChannelManager
import Foundation
import Testing

/// ``WatchingChain``: what the managers broadcast is watched by the follower first, so its index
/// answers a node backend's confirmed-history questions (``ConfirmedHistory``) about it.
@Suite("WatchingChain on MemoryChain")
struct WatchingChainTests {
    let clock = ManualClock(now: ChainFixtures.start)
    let chain: MemoryChain

    init() { chain = MemoryChain(clock: clock) }

    @Test(
        "a broadcast is watched before it goes (as ours, with each output); the index answers once it is mined and spent"
    )
    func broadcastsAreWatched() async throws {
        let alice = try TestSpender("alice")
        let bob = try TestSpender("bob")
        let coin = try alice.fund(chain, 100_000)
        let follower = try await ChainFollower(
            source: chain, store: InMemoryChannelStore(clock: clock), broadcaster: chain, birthday: 0)
        try await follower.poll()
        let watching = WatchingChain(backend: chain, follower: follower)

        let spend = try alice.spend([coin], to: [try bob.output(60_000), try alice.output(39_000)])
        try await watching.broadcast(spend)
        #expect(chain.mempoolTxids.contains(spend.txid))
        #expect(follower.index.transactions[spend.txid]?.ownTransaction == spend)
        #expect(follower.isWatching(OutPoint(txid: spend.txid, index: 0)))
        #expect(follower.isWatching(OutPoint(txid: spend.txid, index: 1)))
        #expect(try await follower.confirmations(of: spend.txid) == nil)

        chain.mine(blocks: 1)
        try await follower.poll()
        #expect(try await follower.confirmations(of: spend.txid) == 1)
        #expect(try await follower.confirmedTransaction(spend.txid) == spend)
        // Someone else spends output 0: the index knows who, and keeps the spender.
        let bobSpend = try bob.spend(TestCoin(spend, 0), fee: 1_000)
        try chain.accept(bobSpend)
        chain.mine(blocks: 1)
        try await follower.poll()
        #expect(try await follower.confirmedSpender(of: OutPoint(txid: spend.txid, index: 0)) == bobSpend.txid)
        #expect(try await follower.confirmedTransaction(bobSpend.txid) == bobSpend)
        #expect(try await follower.confirmedSpender(of: OutPoint(txid: spend.txid, index: 1)) == nil)
        #expect(try await watching.status(of: spend.txid) == .confirmed(confirmations: 2))
    }

    @Test("a watch the store refuses stops the broadcast: nothing reaches the chain, the error is .unavailable")
    func refusedWatchStopsTheBroadcast() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("watching-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteChannelStore(path: directory.path + "/channels.sqlite", clock: clock)
        let alice = try TestSpender("alice")
        let coin = try alice.fund(chain, 100_000)
        let follower = try await ChainFollower(source: chain, store: store, broadcaster: chain, birthday: 0)
        let watching = WatchingChain(backend: chain, follower: follower)
        store.close()
        let spend = try alice.spend(coin, fee: 1_000)
        do throws(ChainError) {
            try await watching.broadcast(spend)
            Issue.record("broadcast without its watch")
        } catch {
            #expect(error.kind == .unavailable)
        }
        #expect(!chain.mempoolTxids.contains(spend.txid))
        #expect(follower.index.transactions[spend.txid] == nil)
    }
}
