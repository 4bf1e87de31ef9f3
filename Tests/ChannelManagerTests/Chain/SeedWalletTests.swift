import BitcoinPrimitives
import ChannelManager
import Testing

/// SeedWallet funding contracts on a MemoryChain.
@Suite struct SeedWalletTests {
    @Test func fundsAP2WSHContractWithChange() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(1_000_000)
        let output = try WalletFixture.p2wshOutput(200_000)
        let contract = try await fixture.wallet.fundContract(paying: output)

        #expect(contract.outputs.count == 2)
        #expect(contract.outputs[0] == output)
        #expect(contract.inputs.allSatisfy { !$0.witness.isEmpty && $0.scriptSig.isEmpty })
        let spent = try fixture.spentOutputs(contract)
        try ScriptVerifier.verify(transaction: contract, spentOutputs: spent)
        // The fee pays at least the estimate on the real size, and barely more.
        let fee = try Amount.sum(spent.map(\.value)).subtracting(try contract.totalOutputValue())
        let rate = try await fixture.chain.feeRate(targetBlocks: 6)
        #expect(fee >= (try rate.fee(for: contract)))
        #expect(fee <= (try rate.fee(forVirtualSize: contract.virtualSize + 2)))

        // The change is the wallet's, pending until the chain knows the contract.
        let change = contract.outputs[1]
        #expect(change.value == (try ChainFixtures.sat(800_000).subtracting(fee)))
        var balance = try await fixture.wallet.balance()
        #expect(balance.available == .zero)
        #expect(balance.pending == change.value)
        try await fixture.chain.broadcast(contract)
        balance = try await fixture.wallet.balance()
        #expect(balance.available == change.value)
        #expect(balance.pending == .zero)
        #expect(fixture.chain.balance(of: change.scriptPubKey) == change.value)

        // The change funds the next contract once the first is on the chain.
        let next = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(300_000))
        #expect(next.inputs.map(\.previousOutput) == [OutPoint(txid: contract.txid, index: 1)])
        try await fixture.chain.broadcast(next)
        fixture.chain.mine()
        #expect(try await fixture.chain.status(of: next.txid) == .confirmed(confirmations: 1))
    }

    @Test func fundsAP2SHOutputFromSeveralCoins() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(300_000, 200_000, 100_000, 50_000)
        let redeem = try Script.multisig(
            required: 2, keys: [try ChainFixtures.key("a").publicKey, try ChainFixtures.key("b").publicKey])
        let output = TransactionOutput(value: try ChainFixtures.sat(450_000), scriptPubKey: .p2sh(redeemScript: redeem))
        let contract = try await fixture.wallet.fundContract(paying: output)
        // Largest first: 300,000 and 200,000 cover it.
        let spentValues = try fixture.spentOutputs(contract).map(\.value.satoshis)
        #expect(spentValues == [300_000, 200_000])
        #expect(contract.outputs[0] == output)
        try await fixture.chain.broadcast(contract)
        let balance = try await fixture.wallet.balance()
        #expect(balance.available.satoshis == 150_000 + contract.outputs[1].value.satoshis)
    }

    @Test func dustChangeGoesToTheFee() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(100_000)
        // 500 sat over the output: a change output would cost more than it leaves above dust.
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(99_500))
        #expect(contract.outputs.count == 1)
        try await fixture.chain.broadcast(contract)
        #expect(fixture.chain.record(contract.txid)?.fee == (try ChainFixtures.sat(500)))
        #expect(try await fixture.wallet.balance().total == .zero)
    }

    @Test func insufficientFundsIsATypedError() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(10_000, 5_000)
        let short = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(50_000))
        }
        #expect(short?.insufficient?.available.satoshis == 15_000)
        #expect((short?.insufficient?.needed.satoshis ?? 0) > 50_000)
        // Just short: the coins cover the output but not the fee.
        let feeShort = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(14_990))
        }
        #expect(feeShort?.insufficient?.available.satoshis == 15_000)
        #expect((feeShort?.insufficient?.needed.satoshis ?? 0) > 15_000)
        // Nothing was marked spent.
        #expect(try await fixture.wallet.balance().available.satoshis == 15_000)
    }

    @Test func dustOrZeroOutputsAreRefused() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(100_000)
        for satoshis: Int64 in [0, 329] {
            let kind = await fundingErrorKind {
                _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(satoshis))
            }
            #expect(kind == .refused)
        }
    }

    @Test func neverSpendsANonSegwitOutput() async throws {
        let fixture = try await WalletFixture()
        // A P2PKH output of a wallet key, put in the store behind the wallet's back, and on the chain.
        let key = try fixture.keychain.key(.walletReceive, index: 0)
        let legacyScript = Script.p2pkh(publicKey: key.publicKey)
        let legacy = fixture.chain.fund(script: legacyScript, amount: try ChainFixtures.sat(1_000_000))
        // And a P2WPKH output whose stored key is not the one it pays.
        let other = try fixture.keychain.key(.walletReceive, index: 1)
        let mislabelled = fixture.chain.fund(
            script: .p2wpkh(publicKey: other.publicKey), amount: try ChainFixtures.sat(2_000_000))
        try await fixture.store.write([
            .walletOutputAdded(
                WalletOutput(
                    outpoint: OutPoint(txid: legacy.txid, index: 0), value: legacy.outputs[0].value,
                    scriptPubKey: legacyScript, keyFamily: .walletReceive, keyIndex: 0)),
            .walletOutputAdded(
                WalletOutput(
                    outpoint: OutPoint(txid: mislabelled.txid, index: 0), value: mislabelled.outputs[0].value,
                    scriptPubKey: mislabelled.outputs[0].scriptPubKey, keyFamily: .walletReceive, keyIndex: 0)),
        ])
        let balance = try await fixture.wallet.balance()
        #expect(balance.available == .zero)
        #expect(balance.unusable.satoshis == 3_000_000)
        let kind = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        }
        #expect(kind?.insufficient?.available == .zero)
        // With a real P2WPKH coin it funds, from that coin only.
        let good = try await fixture.fund(500_000)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        #expect(contract.inputs.map(\.previousOutput) == [OutPoint(txid: good[0].txid, index: 0)])
    }

    @Test func concurrentFundingsNeverShareAnOutput() async throws {
        let fixture = try await WalletFixture()
        for _ in 0..<20 { try await fixture.fund(100_000) }
        let wallet = fixture.wallet
        let output = try WalletFixture.p2wshOutput(60_000)
        let contracts = try await withThrowingTaskGroup(of: Transaction.self) { group in
            for _ in 0..<20 { group.addTask { try await wallet.fundContract(paying: output) } }
            return try await group.reduce(into: [Transaction]()) { $0.append($1) }
        }
        let inputs = contracts.flatMap { $0.inputs.map(\.previousOutput) }
        #expect(inputs.count == 20)
        #expect(Set(inputs).count == 20)
        // Every coin is used, the change is pending: a 21st funding has nothing left.
        let kind = await fundingErrorKind { _ = try await wallet.fundContract(paying: output) }
        #expect(kind?.insufficient?.available == .zero)
        for contract in contracts { try await fixture.chain.broadcast(contract) }
        #expect(fixture.chain.mempoolTxids.count == 20)
    }

    @Test func abandoningMakesTheInputsSpendableAgain() async throws {
        let fixture = try await WalletFixture()
        let funding = try await fixture.fund(1_000_000)
        let output = try WalletFixture.p2wshOutput(400_000)
        let abandoned = try await fixture.wallet.fundContract(paying: output)
        #expect(try await fixture.wallet.balance().available == .zero)
        await fixture.wallet.contractAbandoned(abandoned)
        let balance = try await fixture.wallet.balance()
        #expect(balance.available.satoshis == 1_000_000)
        #expect(balance.pending == .zero)
        // The abandoned change is gone from the store, not merely hidden.
        let stored = try await fixture.store.walletOutputs(unspentOnly: false)
        #expect(stored.map(\.outpoint) == [OutPoint(txid: funding[0].txid, index: 0)])

        let retry = try await fixture.wallet.fundContract(paying: output)
        #expect(retry.inputs.map(\.previousOutput) == abandoned.inputs.map(\.previousOutput))
        try await fixture.chain.broadcast(retry)
    }

    @Test func abandoningAContractTheChainHasChangesNothing() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(1_000_000)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(400_000))
        try await fixture.chain.broadcast(contract)
        let before = try await fixture.wallet.balance()
        await fixture.wallet.contractAbandoned(contract)
        #expect(try await fixture.wallet.balance() == before)
        #expect(before.available == contract.outputs[1].value)
    }

    @Test func contractsNeverStoredAreReleasedAfterARestart() async throws {
        let fixture = try await WalletFixture()
        let fundings = try await fixture.fund(1_000_000, 900_000, 800_000)
        let output = try WalletFixture.p2wshOutput(400_000)
        // The process dies after funding `lost`, before storing its channel.
        let lost = try await fixture.wallet.fundContract(paying: output)
        let broadcast = try await fixture.wallet.fundContract(paying: output)
        try await fixture.chain.broadcast(broadcast)
        let kept = try await fixture.wallet.fundContract(paying: output)
        #expect(try await fixture.wallet.balance().available == broadcast.outputs[1].value)

        let restarted = try await fixture.reopened()
        await restarted.releaseContracts(notAmong: [kept.txid])
        let balance = try await restarted.balance()
        #expect(balance.available == (try fundings[0].outputs[0].value.adding(broadcast.outputs[1].value)))
        #expect(balance.pending == kept.outputs[1].value)
        let stored = try await fixture.store.walletOutputs(unspentOnly: false)
        #expect(!stored.contains { $0.outpoint.txid == lost.txid }, "the lost contract's change is forgotten")
        let retry = try await restarted.fundContract(paying: output)
        #expect(retry.inputs.map(\.previousOutput) == lost.inputs.map(\.previousOutput))
    }

    @Test func theClientManagerReleasesContractsNeverStoredWhenItStarts() async throws {
        let fixture = try await WalletFixture()
        let fundings = try await fixture.fund(1_000_000)
        _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(400_000))
        #expect(try await fixture.wallet.balance().available == .zero)

        let restarted = try await fixture.reopened()
        let manager = ClientManager(
            config: ClientManagerConfig(), store: fixture.store, chain: fixture.chain, funder: restarted,
            keychain: fixture.keychain, clock: fixture.clock)
        try await manager.start()
        #expect(try await restarted.balance().available == fundings[0].outputs[0].value)
        await manager.shutdown()
    }

    @Test func anAbandonedContractThatReachesTheChainIsNoticed() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(1_000_000, 700_000)
        let output = try WalletFixture.p2wshOutput(400_000)
        let first = try await fixture.wallet.fundContract(paying: output)
        await fixture.wallet.contractAbandoned(first)
        // The server broadcasts it after all.
        try await fixture.chain.broadcast(first)
        // The next funding finds the largest coin spent on the chain and uses the other one.
        let second = try await fixture.wallet.fundContract(paying: output)
        #expect(Set(second.inputs.map(\.previousOutput)).isDisjoint(with: first.inputs.map(\.previousOutput)))
        try await fixture.chain.broadcast(second)
        // Handing the wallet the abandoned contract brings its change back.
        let added = try await fixture.wallet.receive(first)
        #expect(added.map(\.value) == [first.outputs[1].value])
        let balance = try await fixture.wallet.balance()
        #expect(balance.available == (try first.outputs[1].value.adding(second.outputs[1].value)))
        #expect(balance.pending == .zero)
    }

    @Test func receiveRecordsOutputsAndSpends() async throws {
        let fixture = try await WalletFixture()
        let script = try await fixture.wallet.receiveScript()
        let outsider = try TestSpender("outsider")
        let funding = try fixture.chain.fund(outputs: [
            TransactionOutput(value: try ChainFixtures.sat(40_000), scriptPubKey: script),
            try outsider.output(10_000),
        ])
        let added = try await fixture.wallet.receive(funding)
        #expect(added.map(\.outpoint) == [OutPoint(txid: funding.txid, index: 0)])
        #expect(added.first?.keyFamily == .walletReceive)
        // Receiving the same transaction again adds nothing.
        #expect(try await fixture.wallet.receive(funding).isEmpty)
        // A transaction spending the wallet's coin elsewhere marks it spent.
        let address = try await fixture.wallet.receiveAddress(network: .regtest)
        #expect(address.scriptPubKey != script)
        let spend = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: OutPoint(txid: funding.txid, index: 0))],
            outputs: [try outsider.output(39_000)])
        try await fixture.wallet.receive(spend)
        #expect(try await fixture.wallet.balance().total == .zero)
    }

    @Test func aReopenedWalletSeesTheSameCoins() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(500_000, 250_000)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(300_000))
        let handedOut = try await fixture.wallet.receiveScript()
        let before = try await fixture.wallet.balance()

        let reopened = try await fixture.reopened()
        #expect(try await reopened.balance() == before)
        #expect(before.pending == contract.outputs[1].value)
        // A script handed out before the restart is still recognised.
        let late = fixture.chain.fund(script: handedOut, amount: try ChainFixtures.sat(75_000))
        #expect(try await reopened.receive(late).count == 1)
        try await fixture.chain.broadcast(contract)
        #expect(try await reopened.balance().available == (try before.total.adding(try ChainFixtures.sat(75_000))))
        // A wallet over another seed recognises none of it.
        let stranger = try await SeedWallet(
            keychain: try ChannelKeychain(seed: ChainFixtures.seed("other seed")), store: fixture.store,
            chain: fixture.chain)
        #expect(try await stranger.balance().available == .zero)
    }

    @Test func storeFailureIsUnavailable() async throws {
        let fixture = try await WalletFixture()
        try await fixture.fund(500_000)
        fixture.store.failWrite(afterEnqueues: 1)
        let kind = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        }
        #expect(kind == .unavailable)
    }
}
