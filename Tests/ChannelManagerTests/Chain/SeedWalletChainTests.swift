import BitcoinPrimitives
import ChannelManager
import Testing

/// The seed wallet on the chain: discovery from blocks, confirmations, the gap limit, reorgs,
/// and finding coins in the UTXO set.
@Suite struct SeedWalletChainTests {
    @Test func findsCoinsInBlocksAndCountsThemOnceMined() async throws {
        let fixture = try await WalletFixture()
        let script = try await fixture.wallet.receiveScript()
        let outsider = try TestSpender("outsider")
        let coin = try outsider.fund(fixture.chain, 500_000)
        // A payment to the wallet, in the mempool: unconfirmed, not available.
        let payment = try outsider.spend(
            [coin],
            to: [
                TransactionOutput(value: try ChainFixtures.sat(300_000), scriptPubKey: script),
                try outsider.output(190_000),
            ])
        try await fixture.chain.broadcast(payment)
        try await fixture.wallet.receive(payment)
        var balance = try await fixture.wallet.balance()
        #expect(balance.confirmed == .zero)
        #expect(balance.unconfirmed.satoshis == 300_000)
        #expect(balance.available == .zero)

        // Mined, and the block handed over: confirmed at the block's height.
        let height = fixture.chain.height + 1
        fixture.chain.mine()
        try await fixture.deliverBlocks(from: height)
        balance = try await fixture.wallet.balance()
        #expect(balance.confirmed.satoshis == 300_000)
        #expect(balance.unconfirmed == .zero)
        #expect(balance.available.satoshis == 300_000)
        let stored = try await fixture.wallet.storedOutputs()
        #expect(stored.map(\.confirmedHeight) == [height])
        // The same block again changes nothing.
        try await fixture.deliverBlocks(from: height)
        #expect(try await fixture.wallet.storedOutputs() == stored)
    }

    @Test func coinsFromOthersNeedTheConfirmationDepthBeforeTheyFundAContract() async throws {
        let fixture = try await WalletFixture(configuration: WalletConfiguration(minimumConfirmations: 3))
        let script = try await fixture.wallet.receiveScript()
        let start = fixture.chain.height + 1
        fixture.chain.fund(script: script, amount: try ChainFixtures.sat(1_000_000))
        try await fixture.deliverBlocks(from: start)
        var balance = try await fixture.wallet.balance()
        #expect(balance.unconfirmed.satoshis == 1_000_000)
        #expect(balance.confirmed == .zero)
        let short = await fundingErrorKind {
            _ = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        }
        #expect(short?.insufficient?.available == .zero)

        let next = fixture.chain.height + 1
        fixture.chain.mine(blocks: 2)
        try await fixture.deliverBlocks(from: next)
        balance = try await fixture.wallet.balance()
        #expect(balance.confirmed.satoshis == 1_000_000)
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(100_000))
        try await fixture.chain.broadcast(contract)
        // Its own change counts as soon as the chain knows the contract (unconfirmed in the balance).
        balance = try await fixture.wallet.balance()
        #expect(balance.available == contract.outputs[1].value)
        #expect(balance.unconfirmed == contract.outputs[1].value)
        #expect(balance.confirmed == .zero)
    }

    @Test func watchesTheGapPastTheLastKeyUsed() async throws {
        let fixture = try await WalletFixture(configuration: WalletConfiguration(gapLimit: 5))
        // Nothing handed out: keys 0 to 4 are watched. Coins to key 4, then 8 (4 + the gap of
        // 5 past it), then 20 (beyond 8 + 5), in one block each.
        let start = fixture.chain.height + 1
        for index: UInt32 in [4, 8, 20] {
            fixture.chain.fund(
                script: try fixture.script(.walletReceive, index), amount: try ChainFixtures.sat(100_000))
        }
        try await fixture.deliverBlocks(from: start)
        let found = try await fixture.wallet.storedOutputs().map(\.keyIndex).sorted()
        #expect(found == [4, 8])
        #expect(fixture.wallet.watchedScripts.contains(try fixture.script(.walletReceive, 13)))
        #expect(!fixture.wallet.watchedScripts.contains(try fixture.script(.walletReceive, 14)))
        // The keys found paid are reserved: the next address is a new one.
        #expect(try await fixture.wallet.receiveScript() == (try fixture.script(.walletReceive, 9)))

        // Within one block, a coin past the gap is found once an earlier one widens it.
        let wide = try await WalletFixture(configuration: WalletConfiguration(gapLimit: 5))
        let block = wide.chain.height + 1
        _ = try wide.chain.fund(outputs: [
            TransactionOutput(value: try ChainFixtures.sat(50_000), scriptPubKey: try wide.script(.walletChange, 7)),
            TransactionOutput(value: try ChainFixtures.sat(60_000), scriptPubKey: try wide.script(.walletChange, 3)),
        ])
        try await wide.deliverBlocks(from: block)
        #expect(try await wide.wallet.balance().confirmed.satoshis == 110_000)
    }

    @Test func aReorgLeavesNoPhantomCoinAndNoPhantomSpend() async throws {
        let fixture = try await WalletFixture()
        let script = try await fixture.wallet.receiveScript()
        let start = fixture.chain.height + 1
        fixture.chain.fund(script: script, amount: try ChainFixtures.sat(1_000_000))
        fixture.chain.fund(script: script, amount: try ChainFixtures.sat(400_000))
        try await fixture.deliverBlocks(from: start)
        #expect(try await fixture.wallet.balance().confirmed.satoshis == 1_400_000)

        // A contract the wallet funds, and one it funded then abandoned that the other side
        // broadcast after all: both mined in one block.
        let kept = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(300_000))
        let abandoned = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(200_000))
        await fixture.wallet.contractAbandoned(abandoned)
        try await fixture.chain.broadcast(kept)
        try await fixture.chain.broadcast(abandoned)
        let mined = fixture.chain.height + 1
        fixture.chain.mine()
        try await fixture.deliverBlocks(from: mined)
        let afterMining = try await fixture.wallet.balance()
        let changes = try Amount.sum([kept.outputs[1].value, abandoned.outputs[1].value])
        #expect(afterMining.confirmed == changes)
        #expect(afterMining.unconfirmed == .zero)

        // The block with both contracts leaves the chain.
        try await fixture.wallet.blockDisconnected(height: mined)
        let reorged = try await fixture.wallet.balance()
        // The abandoned contract's spend is forgotten (its coin is the wallet's again) and its
        // change is gone; the kept contract's spend stays, its change unconfirmed.
        #expect(reorged.confirmed.satoshis == 400_000)
        #expect(reorged.unconfirmed == kept.outputs[1].value)
        let stored = try await fixture.wallet.storedOutputs()
        #expect(!stored.contains { $0.outpoint.txid == abandoned.txid })

        // The funding blocks leave too: their coins are gone, and so is the contract's change
        // (its transaction cannot stand without them).
        for height in (start..<mined).reversed() { try await fixture.wallet.blockDisconnected(height: height) }
        let empty = try await fixture.wallet.balance()
        #expect(empty.confirmed == .zero)
        #expect(empty.unconfirmed == .zero)
        #expect(try await fixture.wallet.storedOutputs().isEmpty)

        // Connected again: everything is back as it was.
        try await fixture.deliverBlocks(from: start)
        let back = try await fixture.wallet.balance()
        #expect(back.confirmed == changes)
    }

    @Test func findsItsCoinsInTheUTXOSetOnAFirstStart() async throws {
        let fixture = try await WalletFixture(configuration: WalletConfiguration(gapLimit: 3))
        let outsider = try TestSpender("outsider")
        let spentCoin = fixture.chain.fund(
            script: try fixture.script(.walletReceive, 1), amount: try ChainFixtures.sat(70_000))
        fixture.chain.fund(script: try fixture.script(.walletReceive, 2), amount: try ChainFixtures.sat(100_000))
        fixture.chain.fund(script: try fixture.script(.walletReceive, 5), amount: try ChainFixtures.sat(200_000))
        fixture.chain.fund(script: try fixture.script(.walletChange, 0), amount: try ChainFixtures.sat(300_000))
        fixture.chain.fund(script: try fixture.script(.walletReceive, 40), amount: try ChainFixtures.sat(1))
        fixture.chain.fund(
            script: .p2pkh(publicKey: try fixture.keychain.key(.clientChannel, index: 2).publicKey),
            amount: try ChainFixtures.sat(400_000))
        // Spent before the scan (signed with the wallet's key by someone holding the seed).
        let key = try fixture.keychain.key(.walletReceive, index: 1)
        var sweep = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: OutPoint(txid: spentCoin.txid, index: 0))],
            outputs: [try outsider.output(60_000)], lockTime: 0)
        let signature = try sweep.signSegwitV0Input(0, spentOutput: spentCoin.outputs[0], key: key)
        sweep.inputs[0].witness = [signature.encoded, key.publicKey.bytes]
        try await fixture.chain.broadcast(sweep)
        fixture.chain.mine()

        let scan = try await fixture.wallet.scanUnspentOutputs(with: fixture.chain)
        #expect(scan.height == fixture.chain.height)
        let balance = try await fixture.wallet.balance()
        // Key 5 is found once key 2 widens the gap; key 40 is past any gap; the spent coin is not.
        #expect(balance.confirmed.satoshis == 100_000 + 200_000 + 300_000 + 400_000)
        #expect(balance.available.satoshis == 100_000 + 200_000 + 300_000)
        // Indexes up to the highest found are reserved.
        #expect(try await fixture.store.nextKeyIndex(.walletReceive) == 6)
        #expect(try await fixture.store.nextKeyIndex(.clientChannel) == 3)
        // Scanning again adds nothing.
        let stored = try await fixture.wallet.storedOutputs()
        try await fixture.wallet.scanUnspentOutputs(with: fixture.chain)
        #expect(try await fixture.wallet.storedOutputs() == stored)
    }

    @Test func descriptorsCarryTheirBIP380Checksum() throws {
        // Checksums from Bitcoin Core's own tests.
        #expect(OutputDescriptor.checksum(of: "addr(13tuJJDR2RgArmgfv6JScSdreahzgc4T6o)") == "ztmwxg4c")
        #expect(OutputDescriptor.checksum(of: "addr(2NF2b3KS8xXb9XHvbRMXdZh8s5g92rUZHtp)") == "ywfcpmh9")
        #expect(OutputDescriptor.checksum(of: "addr(3BoFUz1StqcNcgUTZE5cC1eFhuYFzj3fGH)") == "466tx6fn")
        #expect(OutputDescriptor.checksum(of: "wpkh(é)") == "")
        let key = try ChainFixtures.key("descriptor").publicKey
        let descriptor = OutputDescriptor.wpkh(key)
        #expect(descriptor.body == "wpkh(\(key.bytes.hex))")
        #expect(descriptor.description == descriptor.body + "#" + OutputDescriptor.checksum(of: descriptor.body))
        #expect(descriptor.scriptPubKey == .p2wpkh(publicKey: key))
        #expect(OutputDescriptor.pkh(key).scriptPubKey == .p2pkh(publicKey: key))
    }
}

/// The wallet as a ``ChainListener``, driven as a ``ChainFollower`` drives it: blocks read from
/// ``MemoryChain`` as a ``BlockSource``, the returned writes enqueued, then reported durable.
@Suite struct SeedWalletListenerTests {
    /// Connects the chain's blocks from `height` to the tip through the listener interface.
    private func follow(_ fixture: WalletFixture, from height: Int) async throws {
        let tip = try await fixture.chain.bestTip()
        guard height <= tip.height else { return }
        for current in height...tip.height {
            let hash = try #require(try await fixture.chain.blockHash(atHeight: current))
            let block = try #require(try await fixture.chain.block(hash))
            let writes = await fixture.wallet.blockConnected(block, height: current)
            try await fixture.store.write(writes)
            await fixture.wallet.blockWritesDurable(at: BlockPosition(height: current, hash: hash))
        }
    }

    @Test func findsCoinsAndSpendsThroughTheListenerInterface() async throws {
        let fixture = try await WalletFixture(configuration: WalletConfiguration(gapLimit: 4))
        // Coins to receive keys 2 and 5 (found once 2 widens the gap) in one block, nothing
        // handed out before.
        let start = fixture.chain.height + 1
        _ = try fixture.chain.fund(outputs: [
            TransactionOutput(
                value: try ChainFixtures.sat(500_000), scriptPubKey: try fixture.script(.walletReceive, 5)),
            TransactionOutput(
                value: try ChainFixtures.sat(250_000), scriptPubKey: try fixture.script(.walletReceive, 2)),
        ])
        // Before the writes are durable the wallet's view is unchanged.
        let hash = try #require(try await fixture.chain.blockHash(atHeight: start))
        let block = try #require(try await fixture.chain.block(hash))
        let writes = await fixture.wallet.blockConnected(block, height: start)
        #expect(writes.count == 2)
        #expect(try await fixture.wallet.balance().confirmed == .zero)
        try await fixture.store.write(writes)
        await fixture.wallet.blockWritesDurable(at: BlockPosition(height: start, hash: hash))
        #expect(try await fixture.wallet.balance().confirmed.satoshis == 750_000)
        #expect(try await fixture.store.nextKeyIndex(.walletReceive) == 6)

        // A contract it funds, mined: its spend and change seen in the next block.
        let contract = try await fixture.wallet.fundContract(paying: try WalletFixture.p2wshOutput(600_000))
        try await fixture.chain.broadcast(contract)
        let mined = fixture.chain.height + 1
        fixture.chain.mine()
        try await follow(fixture, from: mined)
        let balance = try await fixture.wallet.balance()
        #expect(balance.confirmed == contract.outputs[1].value)
        #expect(balance.unconfirmed == .zero)
        let stored = try await fixture.wallet.storedOutputs()
        #expect(stored.filter { $0.spentBy == contract.txid }.allSatisfy { $0.spendHeight == mined })

        // The block disconnected through the listener: the spend stays (the wallet signed it),
        // the change is unconfirmed again.
        let minedHash = try #require(try await fixture.chain.blockHash(atHeight: mined))
        let minedBlock = try #require(try await fixture.chain.block(minedHash))
        let undo = await fixture.wallet.blockDisconnected(minedBlock, height: mined)
        try await fixture.store.write(undo)
        await fixture.wallet.blockWritesDurable(at: BlockPosition(height: start, hash: hash))
        let reorged = try await fixture.wallet.balance()
        #expect(reorged.confirmed == .zero)
        #expect(reorged.unconfirmed == contract.outputs[1].value)
    }
}
