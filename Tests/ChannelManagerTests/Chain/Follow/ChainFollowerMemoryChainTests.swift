import BitcoinPrimitives
import ChannelManager
import Testing

/// The chain follower on a ``MemoryChain``: spends, confirmations, wallet scripts, listeners,
/// restarts, the birthday, and a block whose writes are refused.
@Suite("ChainFollower on MemoryChain")
struct ChainFollowerMemoryChainTests {
    let clock = ManualClock(now: ChainFixtures.start)
    let chain: MemoryChain
    let store: InMemoryChannelStore
    let broadcaster = RecordingBroadcaster()

    init() {
        chain = MemoryChain(clock: clock)
        store = InMemoryChannelStore(clock: clock)
    }

    func follower(birthday: Int = 0) async throws -> ChainFollower {
        try await ChainFollower(source: chain, store: store, broadcaster: broadcaster, birthday: birthday)
    }

    @Test("a watched outpoint's spend, a watched transaction's confirmations and a wallet script's outputs")
    func followsSpendsAndConfirmations() async throws {
        let alice = try TestSpender("alice")
        let bob = try TestSpender("bob")
        let coin = try alice.fund(chain, 100_000)
        let follower = try await follower()
        let listener = RecordingListener()
        follower.add(listener)
        #expect(try await follower.poll().connected == 2)
        #expect(follower.cursor == BlockPosition(height: 1, hash: chain.blocks[1].hash))

        let spend = try alice.spend([coin], to: [try bob.output(60_000), try alice.output(39_000)])
        try await follower.watch([.outpoint(coin.outpoint), .ownTransaction(spend), .script(bob.script)])
        #expect(follower.status(of: spend.txid) == .unknown)
        #expect(follower.spender(of: coin.outpoint) == nil)
        try chain.accept(spend)
        chain.mine(blocks: 1)
        let progress = try await follower.poll()
        #expect(progress.connected == 1 && progress.disconnected == 0 && progress.rebroadcast.isEmpty)
        let spentAt = BlockPosition(height: 2, hash: chain.blocks[2].hash)
        #expect(follower.spender(of: coin.outpoint) == ChainSpend(transaction: spend, block: spentAt))
        #expect(follower.status(of: spend.txid) == .confirmed(confirmations: 1))
        // Bob's output is watched now, with its transaction; Alice's change is not.
        #expect(follower.isWatching(OutPoint(txid: spend.txid, index: 0)))
        #expect(!follower.isWatching(OutPoint(txid: spend.txid, index: 1)))
        #expect(follower.status(of: try #require(chain.blocks[1].txids.first)) == nil)

        // Bob spends it in the next block but one.
        chain.mine(blocks: 1)
        let bobCoin = TestCoin(spend, 0)
        let bobSpend = try bob.spend(bobCoin, fee: 1_000)
        try chain.accept(bobSpend)
        chain.mine(blocks: 1)
        #expect(try await follower.poll().connected == 2)
        #expect(follower.status(of: spend.txid) == .confirmed(confirmations: 3))
        #expect(follower.spender(of: bobCoin.outpoint)?.txid == bobSpend.txid)
        // Its change pays Bob again: watched too.
        #expect(follower.isWatching(OutPoint(txid: bobSpend.txid, index: 0)))
        #expect(follower.status(of: bobSpend.txid) == .confirmed(confirmations: 1))

        // Everything is in the store, as the follower sees it.
        #expect(try await store.chainIndex() == follower.index)
        #expect(
            listener.blockEvents == (0...4).map { .connected(chain.blocks[$0].hash, height: $0) })
        #expect(listener.events.last == .durable(BlockPosition(height: 4, hash: chain.blocks[4].hash)))
        #expect(broadcaster.broadcast.isEmpty)
    }

    @Test("a listener's writes land with the cursor; a restart resumes at the stored cursor")
    func listenerWritesAndRestart() async throws {
        let alice = try TestSpender("alice")
        let first = try await follower()
        let listener = RecordingListener()
        listener.answerConnected { block, height in
            // One wallet output per block, made up from the block's coinbase.
            [
                .walletOutputAdded(
                    WalletOutput(
                        outpoint: OutPoint(txid: block.transactions[0].txid, index: 0), value: .zero,
                        scriptPubKey: alice.script, keyFamily: .walletReceive, keyIndex: UInt32(height)))
            ]
        }
        first.add(listener)
        _ = try alice.fund(chain, 5_000)
        chain.mine(blocks: 2)
        #expect(try await first.poll().connected == 4)
        #expect(try await store.walletOutputs(unspentOnly: false).count == 4)

        chain.mine(blocks: 3)
        // A new follower over the same store (a restart) starts from the stored cursor.
        let second = try await follower()
        let again = RecordingListener()
        second.add(again)
        #expect(second.cursor == BlockPosition(height: 3, hash: chain.blocks[3].hash))
        let progress = try await second.poll()
        #expect(progress.connected == 3)
        #expect(progress.cursor == BlockPosition(height: 6, hash: chain.blocks[6].hash))
        #expect(again.blockEvents == (4...6).map { .connected(chain.blocks[$0].hash, height: $0) })
        #expect(try await second.poll().connected == 0)
    }

    @Test("without a cursor, following starts at the birthday")
    func birthday() async throws {
        chain.mine(blocks: 5)
        let follower = try await follower(birthday: 4)
        let listener = RecordingListener()
        follower.add(listener)
        #expect(try await follower.poll().connected == 2)
        #expect(listener.blockEvents == [4, 5].map { .connected(chain.blocks[$0].hash, height: $0) })
        // A birthday above the tip waits for it.
        let later = try await ChainFollower(
            source: chain, store: InMemoryChannelStore(clock: clock), broadcaster: broadcaster, birthday: 9)
        #expect(try await later.poll().connected == 0)
        #expect(later.cursor == nil)
        chain.mine(blocks: 4)
        #expect(try await later.poll().connected == 1)
        #expect(later.cursor?.height == 9)
    }

    @Test("a block whose writes the store refuses is not connected, and is offered again")
    func refusedBlock() async throws {
        let alice = try TestSpender("alice")
        let coin = try alice.fund(chain, 100_000)
        let follower = try await follower()
        try await follower.watch(.outpoint(coin.outpoint))
        #expect(try await follower.poll().connected == 2)
        try chain.accept(try alice.spend(coin, fee: 1_000))
        chain.mine(blocks: 1)

        let listener = RecordingListener()
        // A spend of a wallet output the store does not have: refused as inconsistent.
        listener.answerConnected { block, _ in
            [.walletOutputsSpent([OutPoint(txid: block.hash, index: 0)], spendingTxid: block.hash)]
        }
        follower.add(listener)
        let before = follower.index
        guard case .store(let storeError) = await followError({ try await follower.poll() }) else { return }
        #expect(storeError.kind == .inconsistent)
        // Nothing of the block: no cursor move, no spend, in memory or in the store.
        #expect(follower.index == before)
        #expect(try await store.chainIndex() == before)
        #expect(follower.spender(of: coin.outpoint) == nil)

        listener.answerConnected { _, _ in [] }
        #expect(try await follower.poll().connected == 1)
        #expect(follower.spender(of: coin.outpoint) != nil)
        #expect(listener.blockEvents.count == 2)
    }

    @Test("a watch the store cannot make throws and changes nothing")
    func badWatch() async throws {
        let follower = try await follower()
        let own = try TestSpender("alice").spend(
            TestCoin(outpoint: OutPoint(txid: .zero, index: 1), output: try TestSpender("alice").output(1_000)),
            fee: 100)
        store.failWrite(afterEnqueues: 1)
        await #expect(throws: StoreError.self) { try await follower.watch(.ownTransaction(own)) }
        #expect(follower.status(of: own.txid) == nil)
        await #expect(throws: ChainFollowError.self) { try await follower.poll() }
    }
}
