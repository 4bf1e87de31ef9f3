import BitcoinPrimitives
import ChannelManager
import Testing

/// MemoryChain's broadcast rules, one by one.
@Suite struct MemoryChainAcceptanceTests {
    let clock = ManualClock(now: ChainFixtures.start)
    let alice: TestSpender
    let bob: TestSpender

    init() throws {
        alice = try TestSpender("alice")
        bob = try TestSpender("bob")
    }

    @Test func validSpendIsAcceptedAndRecorded() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let spend = try alice.spend([coin], to: [try bob.output(90_000)])
        try await chain.broadcast(spend)
        #expect(chain.mempoolTxids == [spend.txid])
        let record = try #require(chain.record(spend.txid))
        #expect(record.spentOutputs == [coin.output])
        #expect(record.fee == (try ChainFixtures.sat(10_000)))
        #expect(record.state == .inMempool)
        #expect(chain.history.map(\.txid) == [coin.outpoint.txid, spend.txid])
        #expect(chain.balance(of: bob.script) == (try ChainFixtures.sat(90_000)))
        #expect(chain.balance(of: alice.script) == .zero)
        #expect(chain.utxo(coin.outpoint) == nil)
        #expect(chain.utxo(OutPoint(txid: spend.txid, index: 0))?.height == nil)
        // Broadcasting it again is fine, in the mempool and once mined.
        try await chain.broadcast(spend)
        chain.mine()
        try await chain.broadcast(spend)
        #expect(chain.mempoolTxids.isEmpty)
        #expect(chain.history.count == 2)
    }

    @Test func unknownInputIsRejected() async throws {
        let chain = MemoryChain(clock: clock)
        let foreign = TestCoin(Transaction(outputs: [try alice.output(50_000)]))
        let spend = try alice.spend([foreign], to: [try bob.output(40_000)])
        await expectChainError(.rejected) { try await chain.broadcast(spend) }
        #expect(chain.mempoolTxids.isEmpty)
        // A known transaction's output index that does not exist is no better.
        let coin = try alice.fund(chain, 50_000)
        let missing = TestCoin(
            outpoint: OutPoint(txid: coin.outpoint.txid, index: 1), output: try alice.output(50_000))
        await expectChainError(.rejected) {
            try await chain.broadcast(try alice.spend([missing], to: [try bob.output(40_000)]))
        }
    }

    @Test func unknownInputAcceptedWhenAllowedButSpentOnlyOnce() async throws {
        let chain = MemoryChain(clock: clock, acceptsUnknownInputs: true)
        let foreign = TestCoin(Transaction(outputs: [try alice.output(50_000)]))
        let first = try alice.spend([foreign], to: [try bob.output(40_000)])
        try await chain.broadcast(first)
        let record = try #require(chain.record(first.txid))
        #expect(record.spentOutputs == [nil])
        #expect(record.fee == nil)
        #expect(try await chain.spender(of: foreign.outpoint) == first.txid)
        // A second spender of the same unknown outpoint is a double spend, even paying more fee
        // (the fees are unknown, so it cannot replace).
        let second = try alice.spend([foreign], to: [try bob.output(30_000)])
        await expectChainError(.doubleSpend) { try await chain.broadcast(second) }
        // Known inputs are still checked in full.
        let coin = try alice.fund(chain, 50_000)
        let wrongKey = try alice.spend([coin], to: [try bob.output(40_000)], forger: bob.key)
        await expectChainError(.rejected) { try await chain.broadcast(wrongKey) }
        // And the transaction spending unknown outputs is mined like any other.
        chain.mine()
        #expect(try await chain.status(of: first.txid) == .confirmed(confirmations: 1))
    }

    @Test func doubleSpendOfAMinedOutputIsRefused() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let first = try alice.spend(coin, fee: 1_000)
        try await chain.broadcast(first)
        chain.mine()
        // Even a much higher fee cannot replace a mined spend.
        let second = try alice.spend(coin, fee: 50_000)
        await expectChainError(.doubleSpend) { try await chain.broadcast(second) }
        #expect(chain.spendingTransaction(of: coin.outpoint) == first.txid)
    }

    @Test func doubleSpendInTheMempoolWithoutAHigherFeeIsRefused() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let first = try alice.spend(coin, fee: 1_000)
        try await chain.broadcast(first)
        // Same fee, different output: not a replacement.
        let same = try alice.spend([coin], to: [try bob.output(99_000)])
        await expectChainError(.doubleSpend) { try await chain.broadcast(same) }
        // Higher by less than the incremental relay fee for its size (1 sat/vB).
        let barely = try alice.spend(coin, fee: 1_001)
        await expectChainError(.doubleSpend) { try await chain.broadcast(barely) }
        #expect(chain.mempoolTxids == [first.txid])
    }

    @Test func badSignatureIsRejected() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        var spend = try alice.spend(coin, fee: 1_000)
        // Sign another transaction's sighash: a valid signature that does not match.
        let other = try alice.spend(coin, fee: 2_000)
        spend.inputs[0].witness = other.inputs[0].witness
        await expectChainError(.rejected) { try await chain.broadcast(spend) }
        // The wrong key.
        let forged = try alice.spend([coin], to: [try bob.output(99_000)], forger: bob.key)
        await expectChainError(.rejected) { try await chain.broadcast(forged) }
        // No witness at all.
        spend.inputs[0].witness = []
        await expectChainError(.rejected) { try await chain.broadcast(spend) }
        #expect(chain.mempoolTxids.isEmpty)
    }

    @Test func outputsWorthMoreThanInputsAreRejected() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        await expectChainError(.rejected) {
            try await chain.broadcast(try alice.spend([coin], to: [try bob.output(100_001)]))
        }
        // Exactly the input value leaves no fee: below the minimum relay fee.
        await expectChainError(.rejected) {
            try await chain.broadcast(try alice.spend([coin], to: [try bob.output(100_000)]))
        }
    }

    @Test func malformedTransactionsAreRejected() async throws {
        let chain = MemoryChain(clock: clock)
        let coin = try alice.fund(chain, 100_000)
        let good = try alice.spend(coin, fee: 1_000)
        var noOutputs = good
        noOutputs.outputs = []
        await expectChainError(.rejected) { try await chain.broadcast(noOutputs) }
        var noInputs = good
        noInputs.inputs = []
        await expectChainError(.rejected) { try await chain.broadcast(noInputs) }
        let twice = try alice.spend([coin, coin], to: [try bob.output(150_000)])
        await expectChainError(.rejected) { try await chain.broadcast(twice) }
        let coinbase = chain.fund(script: alice.script, amount: try ChainFixtures.sat(1_000))
        var copied = coinbase
        copied.lockTime = 1
        await expectChainError(.rejected) { try await chain.broadcast(copied) }
        let dust = try alice.spend([coin], to: [try bob.output(98_000), try bob.output(293)])
        await expectChainError(.rejected) { try await chain.broadcast(dust) }
        // 294 sat is the P2WPKH dust threshold: accepted.
        try await chain.broadcast(try alice.spend([coin], to: [try bob.output(98_000), try bob.output(294)]))
    }

    @Test func minimumRelayFeeAndDustChecksCanBeSwitchedOff() async throws {
        let chain = MemoryChain(
            clock: clock, configuration: MemoryChain.Configuration(minimumRelayFee: .zero, dustRelayFee: nil))
        let coin = try alice.fund(chain, 100_000)
        try await chain.broadcast(try alice.spend([coin], to: [try bob.output(99_999), try bob.output(1)]))
    }

    @Test func immatureCoinbaseIsRefusedWhenMaturityIsOn() async throws {
        let chain = MemoryChain(clock: clock, configuration: MemoryChain.Configuration(coinbaseMaturity: 100))
        let coin = try alice.fund(chain, 100_000)
        let spend = try alice.spend(coin, fee: 1_000)
        chain.mine(blocks: 98)
        await expectChainError(.rejected) { try await chain.broadcast(spend) }
        chain.mine()
        try await chain.broadcast(spend)
        #expect(chain.utxo(coin.outpoint) == nil)
    }

    @Test func fundingOutputsAreChecked() throws {
        let chain = MemoryChain(clock: clock)
        #expect(throws: ChainError.self) { try chain.fund(outputs: []) }
        let huge = TransactionOutput(value: .maxMoney, scriptPubKey: alice.script)
        #expect(throws: ChainError.self) { try chain.fund(outputs: [huge, huge]) }
        let two = try chain.fund(outputs: [try alice.output(1_000), try bob.output(2_000)])
        #expect(two.isCoinbase)
        #expect(chain.utxo(OutPoint(txid: two.txid, index: 1))?.output == (try bob.output(2_000)))
        #expect(chain.utxo(OutPoint(txid: two.txid, index: 1))?.isCoinbase == true)
        // The same funding twice makes two different coins.
        let again = chain.fund(script: alice.script, amount: try ChainFixtures.sat(1_000))
        let again2 = chain.fund(script: alice.script, amount: try ChainFixtures.sat(1_000))
        #expect(again.txid != again2.txid)
        #expect(chain.height == 3)
    }
}
