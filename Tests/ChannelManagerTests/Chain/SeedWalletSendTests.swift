import BitcoinPrimitives
import ChannelManager
import ChannelStoreConformance
import Testing

/// Spending out of the seed wallet, P2PKH outputs of channel keys, and the balance's parts.
@Suite struct SeedWalletSendTests {
    @Test func sendsAnAmountWithChangeAtTheFeeRateAsked() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(600_000, 300_000)
        let outsider = try TestSpender("outsider")
        let rate = try FeeRate(satoshisPerKilovirtualByte: 5_000)
        let sent = try await fixture.wallet.send(
            to: outsider.script, amount: .exactly(try ChainFixtures.sat(450_000)), feeRate: rate,
            broadcaster: fixture.chain)
        let transaction = sent.transaction
        #expect(transaction.outputs[0] == (try outsider.output(450_000)))
        #expect(transaction.inputs.count == 1)
        #expect(fixture.chain.mempoolTxids == [transaction.txid])
        #expect(fixture.chain.record(transaction.txid)?.fee == sent.fee)
        #expect(sent.fee >= (try rate.fee(for: transaction)))
        #expect(sent.fee <= (try rate.fee(forVirtualSize: transaction.virtualSize + 2)))
        #expect(sent.change == transaction.outputs[1].value)
        // The change is the wallet's (unconfirmed), the other coin untouched.
        let balance = try await fixture.wallet.balance()
        #expect(balance.confirmed.satoshis == 300_000)
        #expect(balance.unconfirmed == transaction.outputs[1].value)
    }

    @Test func sendsEverythingWithoutChange() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(600_000, 300_000, 100)
        let outsider = try TestSpender("outsider")
        let sent = try await fixture.wallet.send(to: outsider.script, amount: .all, broadcaster: fixture.chain)
        // The 100-sat coin costs more to spend than it is worth: left out.
        #expect(sent.transaction.inputs.count == 2)
        #expect(sent.transaction.outputs.count == 1)
        #expect(sent.transaction.outputs[0].value.satoshis == 900_000 - sent.fee.satoshis)
        #expect(sent.change == nil)
        #expect(try await fixture.wallet.balance().available == .zero)
        let kind = await fundingErrorKind {
            _ = try await fixture.wallet.send(to: outsider.script, amount: .all, broadcaster: fixture.chain)
        }
        #expect(kind?.insufficient != nil)
    }

    @Test func refusesDustTooLittleMoneyAndReleasesCoinsTheChainRefuses() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(100_000)
        let outsider = try TestSpender("outsider")
        let dust = await fundingErrorKind {
            _ = try await fixture.wallet.send(
                to: outsider.script, amount: .exactly(try ChainFixtures.sat(100)), broadcaster: fixture.chain)
        }
        #expect(dust == .refused)
        let short = await fundingErrorKind {
            _ = try await fixture.wallet.send(
                to: outsider.script, amount: .exactly(try ChainFixtures.sat(100_000)), broadcaster: fixture.chain)
        }
        #expect(short?.insufficient?.available.satoshis == 100_000)
        // A fee below the chain's minimum relay fee: refused by the chain, the coin released.
        let refused = await fundingErrorKind {
            _ = try await fixture.wallet.send(
                to: outsider.script, amount: .exactly(try ChainFixtures.sat(50_000)), feeRate: .zero,
                broadcaster: fixture.chain)
        }
        #expect(refused == .broadcastRefused(.rejected))
        let balance = try await fixture.wallet.balance()
        #expect(balance.available.satoshis == 100_000)
        #expect(balance.pending == .zero)
        #expect(try await fixture.wallet.storedOutputs().count == 1)
        #expect(fixture.chain.mempoolTxids.isEmpty)
    }

    @Test func spendsP2PKHOutputsOfChannelKeysButNeverIntoAContract() async throws {
        let fixture = try await WalletFixture()
        // A client's refund or settlement change: P2PKH of its channel key (bitcoinj's layout).
        let channelKey = try fixture.keychain.key(.clientChannel, index: 1)
        let start = fixture.chain.height + 1
        let refund = fixture.chain.fund(
            script: .p2pkh(publicKey: channelKey.publicKey), amount: try ChainFixtures.sat(800_000))
        try await fixture.deliverBlocks(from: start)
        var balance = try await fixture.wallet.balance()
        #expect(balance.confirmed.satoshis == 800_000)
        #expect(balance.available == .zero)
        #expect(balance.unusable == .zero)
        // Never into a contract, whose txid must not be malleable.
        let kind = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        }
        #expect(kind?.insufficient?.available == .zero)

        // But sent out: signed in the scriptSig, verified, accepted by the chain.
        let outsider = try TestSpender("outsider")
        let sent = try await fixture.wallet.send(
            to: outsider.script, amount: .exactly(try ChainFixtures.sat(500_000)), broadcaster: fixture.chain)
        let transaction = sent.transaction
        #expect(transaction.inputs.map(\.previousOutput) == [OutPoint(txid: refund.txid, index: 0)])
        #expect(!transaction.inputs[0].scriptSig.isEmpty)
        try ScriptVerifier.verify(transaction: transaction, spentOutputs: [refund.outputs[0]])
        #expect(fixture.chain.mempoolTxids == [transaction.txid])
        #expect(fixture.chain.record(transaction.txid)?.fee == sent.fee)

        // Its change, P2WPKH of a change key, funds a contract once the send is mined.
        let mined = fixture.chain.height + 1
        fixture.chain.mine()
        try await fixture.deliverBlocks(from: mined)
        balance = try await fixture.wallet.balance()
        #expect(balance.confirmed == transaction.outputs[1].value)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        #expect(contract.inputs.map(\.previousOutput) == [OutPoint(txid: transaction.txid, index: 1)])
    }

    @Test func aSendSpendingAP2PKHAndAP2WPKHCoinTogetherVerifies() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(300_000)
        let channelKey = try fixture.keychain.key(.clientChannel, index: 0)
        let start = fixture.chain.height + 1
        fixture.chain.fund(script: .p2pkh(publicKey: channelKey.publicKey), amount: try ChainFixtures.sat(300_000))
        try await fixture.deliverBlocks(from: start)
        let outsider = try TestSpender("outsider")
        let sent = try await fixture.wallet.send(
            to: outsider.script, amount: .exactly(try ChainFixtures.sat(500_000)),
            feeRate: try FeeRate(satoshisPerKilovirtualByte: 3_000), broadcaster: fixture.chain)
        #expect(sent.transaction.inputs.count == 2)
        let spent = try #require(fixture.chain.record(sent.transaction.txid)?.spentOutputs).compactMap { $0 }
        #expect(spent.count == 2)
        try ScriptVerifier.verify(transaction: sent.transaction, spentOutputs: spent)
        let rate = try FeeRate(satoshisPerKilovirtualByte: 3_000)
        #expect(sent.fee >= (try rate.fee(for: sent.transaction)))
        #expect(sent.fee <= (try rate.fee(forVirtualSize: sent.transaction.virtualSize + 3)))
        #expect(fixture.chain.mempoolTxids == [sent.transaction.txid])
    }

    @Test func lockedInChannelsIsWhatOpenClientChannelsStillHoldForUs() async throws {
        let fixture = try await WalletFixture()
        var open = try StoreFixtures.client(1)
        open.state = .open
        var opening = try StoreFixtures.client(2)
        opening.state = .opening
        var settled = try StoreFixtures.client(3)
        settled.state = .settled
        try await fixture.store.write([.client(.channel(open)), .client(.channel(opening)), .client(.channel(settled))])
        let balance = try await fixture.wallet.balance()
        #expect(balance.lockedInChannels == (try open.valueLeft.adding(opening.valueLeft)))
    }

    @Test func anOutOfRangeConfigurationIsRefused() async throws {
        let fixture = try await WalletFixture()
        for configuration in [
            WalletConfiguration(gapLimit: 0), WalletConfiguration(minimumConfirmations: -1),
            WalletConfiguration(feeTarget: 0),
        ] {
            let kind = await fundingErrorKind {
                _ = try await fixture.reopened(configuration: configuration)
            }
            #expect(kind == .refused)
        }
    }
}
