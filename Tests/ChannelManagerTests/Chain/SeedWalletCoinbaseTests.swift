import BitcoinPrimitives
import ChannelManager
import Testing

/// A coinbase output is spent only once Bitcoin's maturity (100 confirmations) lets the chain
/// take its spend: below it, the wallet neither funds a contract nor sends from it, and counts
/// it unconfirmed and immature.
@Suite struct SeedWalletCoinbaseTests {
    static let maturity = MemoryChain.Configuration(coinbaseMaturity: 100)

    @Test func aCoinbaseOutputFundsNothingBeforeItsHundredthConfirmation() async throws {
        let fixture = try await WalletFixture(chainConfiguration: Self.maturity)
        #expect(fixture.wallet.coinbaseMaturity == 100)
        let funding = try await fixture.fund(1_000_000)[0]
        let coin = OutPoint(txid: funding.txid, index: 0)
        #expect(try await fixture.wallet.storedOutputs().map(\.isCoinbase) == [true])
        let value = try ChainFixtures.sat(1_000_000)
        let outsider = try ChainFixtures.key("outsider")
        let destination = Script.p2wpkh(publicKey: outsider.publicKey)

        for depth in [1, 99] {
            if depth > 1 { fixture.chain.mine(blocks: depth - 1) }
            #expect(fixture.chain.height - (try #require(fixture.chain.record(funding.txid)?.blockHeight)) + 1 == depth)
            let balance = try await fixture.wallet.balance()
            #expect(balance.confirmed == .zero, "depth \(depth)")
            #expect(balance.unconfirmed == value, "depth \(depth)")
            #expect(balance.immature == value, "depth \(depth)")
            #expect(balance.available == .zero, "depth \(depth)")
            #expect(try await fixture.wallet.spendableOutputs().isEmpty)
            let contract = await fundingErrorKind {
                _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(200_000))
            }
            #expect(contract?.insufficient?.available == .zero, "depth \(depth)")
            let send = await fundingErrorKind {
                _ = try await fixture.wallet.send(to: destination, amount: .all, broadcaster: fixture.chain)
            }
            #expect(send?.insufficient?.available == .zero, "depth \(depth)")
            // Nothing was marked spent by the refusals.
            #expect(try await fixture.wallet.storedOutputs().allSatisfy { $0.spentBy == nil })
        }
        // The refusal says why.
        let refusal = await #expect(throws: FundingError.self) {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(200_000))
        }
        #expect(
            refusal?.message.contains("1000000 sat more is in coinbase outputs under 100 confirmations") == true,
            "\(String(describing: refusal))")
        // The chain agrees: a spend of it now is refused as immature.
        let key = try fixture.keychain.key(.walletReceive, index: 0)
        var early = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: coin)],
            outputs: [TransactionOutput(value: try ChainFixtures.sat(990_000), scriptPubKey: destination)], lockTime: 0)
        let signature = try early.signSegwitV0Input(0, spentOutput: funding.outputs[0], key: key)
        early.inputs[0].witness = [signature.encoded, key.publicKey.bytes]
        await #expect(throws: ChainError.self) { try await fixture.chain.broadcast(early) }

        // The hundredth confirmation: confirmed, spendable, and the chain takes the contract.
        fixture.chain.mine()
        let balance = try await fixture.wallet.balance()
        #expect(balance.confirmed == value)
        #expect(balance.unconfirmed == .zero)
        #expect(balance.immature == .zero)
        #expect(balance.available == value)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(200_000))
        #expect(contract.inputs.map(\.previousOutput) == [coin])
        try await fixture.chain.broadcast(contract)
    }

    @Test func anOutputOfAnOrdinaryTransactionNeedsOnlyTheConfiguredDepth() async throws {
        let fixture = try await WalletFixture(chainConfiguration: Self.maturity)
        // A coinbase to an outsider, matured, then paid on to the wallet.
        let outsider = try ChainFixtures.key("outsider")
        let outsiderScript = Script.p2wpkh(publicKey: outsider.publicKey)
        let coinbase = fixture.chain.fund(script: outsiderScript, amount: try ChainFixtures.sat(500_000))
        fixture.chain.mine(blocks: 99)
        var payment = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: OutPoint(txid: coinbase.txid, index: 0))],
            outputs: [
                TransactionOutput(
                    value: try ChainFixtures.sat(490_000), scriptPubKey: try await fixture.wallet.receiveScript())
            ], lockTime: 0)
        let signature = try payment.signSegwitV0Input(0, spentOutput: coinbase.outputs[0], key: outsider)
        payment.inputs[0].witness = [signature.encoded, outsider.publicKey.bytes]
        try await fixture.chain.broadcast(payment)
        fixture.chain.mine()
        try await fixture.wallet.receive(payment)
        #expect(try await fixture.wallet.storedOutputs().map(\.isCoinbase) == [false])
        let balance = try await fixture.wallet.balance()
        #expect(balance.confirmed.satoshis == 490_000)
        #expect(balance.immature == .zero)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(200_000))
        try await fixture.chain.broadcast(contract)
    }

    @Test func aScanAndTheFollowerMarkCoinbaseOutputs() async throws {
        let fixture = try await WalletFixture(chainConfiguration: Self.maturity)
        let receive = try await fixture.wallet.receiveScript()
        _ = fixture.chain.fund(script: receive, amount: try ChainFixtures.sat(300_000))
        fixture.chain.mine(blocks: 10)

        // Found by the UTXO scan, as on a first start with an old birthday.
        let scanned = try await fixture.reopened()
        try await scanned.scanUnspentOutputs(with: fixture.chain)
        #expect(try await scanned.storedOutputs().map(\.isCoinbase) == [true])
        #expect(try await scanned.balance().immature.satoshis == 300_000)

        // Found by following the blocks, over a store of its own.
        let followed = try await WalletFixture(chainConfiguration: Self.maturity)
        let own = try await followed.wallet.receiveScript()
        let funding = followed.chain.fund(script: own, amount: try ChainFixtures.sat(200_000))
        try await followed.deliverBlocks(from: 0)
        let outputs = try await followed.wallet.storedOutputs()
        #expect(outputs.map(\.outpoint) == [OutPoint(txid: funding.txid, index: 0)])
        #expect(outputs.map(\.isCoinbase) == [true])
        #expect(try await followed.wallet.balance().immature.satoshis == 200_000)
    }
}
