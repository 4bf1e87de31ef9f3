import BitcoinPrimitives
import ChannelManager
import Testing

/// Full replace-by-fee in MemoryChain's mempool.
@Suite struct MemoryChainReplacementTests {
    let clock = ManualClock(now: ChainFixtures.start)
    let alice: TestSpender
    let bob: TestSpender

    init() throws {
        alice = try TestSpender("alice")
        bob = try TestSpender("bob")
    }

    @Test func higherFeeReplacesTheConflictAndItsDescendants() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let unrelated = try alice.fund(chain, 100_000)
        let original = try alice.spend(coin, fee: 1_000)
        let child = try alice.spend(TestCoin(original), fee: 1_000)
        let grandchild = try alice.spend(TestCoin(child), fee: 1_000)
        let other = try alice.spend(unrelated, fee: 1_000)
        for transaction in [original, child, other, grandchild] { try await chain.broadcast(transaction) }

        // It must beat the three evicted fees together (3,000) by its size at 1 sat/vB.
        let tooCheap = try alice.spend(coin, fee: 3_050)
        await expectChainError(.doubleSpend) { try await chain.broadcast(tooCheap) }
        let replacement = try alice.spend(coin, fee: 5_000)
        try await chain.broadcast(replacement)

        #expect(chain.mempoolTxids == [other.txid, replacement.txid])
        #expect(chain.record(original.txid)?.state == .replaced(by: replacement.txid))
        #expect(chain.record(child.txid)?.state == .replaced(by: replacement.txid))
        #expect(chain.record(grandchild.txid)?.state == .replaced(by: replacement.txid))
        #expect(try await chain.status(of: original.txid) == .unknown)
        #expect(try await chain.status(of: child.txid) == .unknown)
        #expect(try await chain.spender(of: coin.outpoint) == replacement.txid)
        #expect(try await chain.spender(of: OutPoint(txid: original.txid, index: 0)) == nil)
        // The history keeps the replaced transactions.
        #expect(chain.history.count == 7)
        // The evicted child cannot come back: its parent is gone.
        await expectChainError(.rejected) { try await chain.broadcast(child) }
        chain.mine()
        #expect(try await chain.status(of: replacement.txid) == .confirmed(confirmations: 1))
    }

    @Test func higherAbsoluteFeeAtALowerRateDoesNotReplace() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let extra = try alice.fund(chain, 100_000)
        let original = try alice.spend(coin, fee: 2_000)
        try await chain.broadcast(original)
        // Two inputs double the size: 2,100 sat is more fee but a lower rate.
        let bigger = try alice.spend([coin, extra], to: [try bob.output(197_900)])
        await expectChainError(.doubleSpend) { try await chain.broadcast(bigger) }
        #expect(chain.mempoolTxids == [original.txid])
        // A settlement-style fee bump of the same shape works.
        let bumped = try alice.spend(coin, fee: 4_000)
        try await chain.broadcast(bumped)
        #expect(chain.mempoolTxids == [bumped.txid])
        #expect(chain.balance(of: alice.script) == (try ChainFixtures.sat(196_000)))
    }

    @Test func replacementMayNotSpendWhatItReplaces() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let first = try alice.spend([coin], to: [try alice.output(50_000), try alice.output(49_000)])
        try await chain.broadcast(first)
        let child = try alice.spend(TestCoin(first, 0), fee: 1_000)
        try await chain.broadcast(child)
        // Conflicts with `child` (same input) and spends `first`, fine; but a transaction
        // conflicting with `first` while spending its output cannot exist.
        let both = try alice.spend([coin, TestCoin(first, 1)], to: [try bob.output(120_000)])
        await expectChainError(.rejected) { try await chain.broadcast(both) }
        #expect(chain.mempoolTxids == [first.txid, child.txid])
    }

    @Test func replacementCanBeSwitchedOff() async throws {
        let chain = MemoryChain(clock: clock, configuration: MemoryChain.Configuration(replaceByFee: false))
        let coin = try alice.fund(chain, 100_000)
        try await chain.broadcast(try alice.spend(coin, fee: 1_000))
        await expectChainError(.doubleSpend) { try await chain.broadcast(try alice.spend(coin, fee: 50_000)) }
    }
}
