import BitcoinPrimitives
import ChannelManager
import Testing

/// Lock times, mining and status on MemoryChain.
@Suite struct MemoryChainTimeTests {
    let clock = ManualClock(now: ChainFixtures.start)
    let alice: TestSpender

    init() throws { alice = try TestSpender("alice") }

    @Test func timeLockWaitsForTheMedianTimePast() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let unlock = ChainFixtures.start + 3_600
        let locked = try alice.spend(coin, fee: 1_000, lockTime: UInt32(unlock), sequence: 0xffff_fffe)
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        chain.mine(blocks: 10)
        #expect(try await chain.lockTimeReference() < unlock)

        clock.advance(to: unlock + 1)
        // The clock moved, the median time past did not: still not final.
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        chain.mine(blocks: 5)
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        // The sixth block at the new time brings the median of the last 11 past the lock.
        chain.mine()
        #expect(try await chain.lockTimeReference() == unlock + 1)
        try await chain.broadcast(locked)
        chain.mine()
        #expect(try await chain.status(of: locked.txid) == .confirmed(confirmations: 1))
    }

    @Test func lockTimeMustBeStrictlyBelowTheReference() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let reference = try await chain.lockTimeReference()
        let atReference = try alice.spend(coin, fee: 1_000, lockTime: UInt32(reference), sequence: 0)
        await expectChainError(.notFinal) { try await chain.broadcast(atReference) }
        try await chain.broadcast(try alice.spend(coin, fee: 1_000, lockTime: UInt32(reference - 1), sequence: 0))
    }

    @Test func clockRuleFollowsTheClock() async throws {
        let chain = MemoryChain(clock: clock, configuration: MemoryChain.Configuration(lockTimeRule: .clock))
        let coin = try alice.fund(chain, 100_000)
        let unlock = ChainFixtures.start + 600
        let locked = try alice.spend(coin, fee: 1_000, lockTime: UInt32(unlock), sequence: 0xffff_fffe)
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        clock.advance(to: unlock + 1)
        #expect(try await chain.lockTimeReference() == unlock + 1)
        try await chain.broadcast(locked)
        let block = try #require(chain.mine().first)
        #expect(block.txids == [locked.txid])
        #expect(block.timestamp == unlock + 1)
    }

    @Test func finalSequencesDisableTheLockTime() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        try await chain.broadcast(try alice.spend(coin, fee: 1_000, lockTime: UInt32.max))
    }

    @Test func heightLockWaitsForTheNextBlockHeight() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        // Height 1 (the funding) is the tip; a lock of 3 is final in block 4, so once the tip is 3.
        let locked = try alice.spend(coin, fee: 1_000, lockTime: 3, sequence: 0)
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        chain.mine()
        await expectChainError(.notFinal) { try await chain.broadcast(locked) }
        chain.mine()
        #expect(chain.height == 3)
        try await chain.broadcast(locked)
    }

    @Test func statusAndSpenderFollowTheTransaction() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let spend = try alice.spend(coin, fee: 1_000)
        #expect(try await chain.status(of: spend.txid) == .unknown)
        #expect(try await chain.spender(of: coin.outpoint) == nil)
        #expect(chain.utxo(coin.outpoint)?.height == 1)

        try await chain.broadcast(spend)
        #expect(try await chain.status(of: spend.txid) == .inMempool)
        #expect(try await chain.spender(of: coin.outpoint) == spend.txid)

        clock.advance(by: 600)
        let block = try #require(chain.mine().first)
        #expect(block.height == 2)
        #expect(block.txids == [spend.txid])
        #expect(block.timestamp == ChainFixtures.start + 600)
        #expect(try await chain.status(of: spend.txid) == .confirmed(confirmations: 1))
        #expect(chain.record(spend.txid)?.blockHeight == 2)
        chain.mine(blocks: 2)
        #expect(try await chain.status(of: spend.txid) == .confirmed(confirmations: 3))
        #expect(try await chain.spender(of: coin.outpoint) == spend.txid)
        #expect(chain.utxo(OutPoint(txid: spend.txid, index: 0))?.height == 2)
        #expect(chain.transaction(spend.txid) == spend)
    }

    @Test func miningPutsParentsBeforeChildrenAndStampsBlocks() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let parent = try alice.spend(coin, fee: 1_000)
        let child = try alice.spend(TestCoin(parent), fee: 1_000)
        try await chain.broadcast(parent)
        try await chain.broadcast(child)
        #expect(chain.mempoolTxids == [parent.txid, child.txid])
        let blocks = chain.mine(blocks: 3)
        #expect(blocks.map(\.txids) == [[parent.txid, child.txid], [], []])
        #expect(chain.mempoolTxids.isEmpty)
        // The clock stood still (genesis at start, the funding block at start + 1): each block is
        // one second past the median time past.
        let start = ChainFixtures.start
        #expect(chain.blocks.map(\.timestamp) == [start, start + 1, start + 2, start + 2, start + 3])
        #expect(chain.mine(blocks: 0).isEmpty)
        #expect(chain.blocks.count == chain.height + 1)
    }

    @Test func feeEstimateIsSettable() async throws {
        let chain = MemoryChain(clock: clock)
        #expect(try await chain.feeRate(targetBlocks: 6) == MemoryChain.Configuration.defaultFeeRate)
        let rate = try FeeRate(satoshisPerVirtualByte: 25)
        chain.estimatedFeeRate = rate
        #expect(try await chain.feeRate(targetBlocks: 1) == rate)
    }
}
