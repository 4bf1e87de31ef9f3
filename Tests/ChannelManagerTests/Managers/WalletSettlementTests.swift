import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// What channels pay back lands in the seed wallet, found by a real ``ChainFollower``.
@Suite struct WalletSettlementTests {
    @Test("a client's settlement change (P2PKH of its channel key) is found by the follower and spent")
    func settlementChangeLandsInTheWallet() async throws {
        let bed = try await ManagerTestbed(walletFunds: 2_000_000)
        let follower = try await ChainFollower(
            source: bed.chain, store: bed.clientStore, broadcaster: bed.chain, birthday: 0)
        follower.add(bed.wallet)
        let (session, serverSession, _) = try await bed.connect()
        let opened = try await session.open(value: ManagerTestbed.sats(1_000_000))
        for _ in 0..<5 { _ = try await session.pay(ManagerTestbed.sats(2_000), info: nil) }
        bed.chain.mine()
        _ = try await follower.poll()
        let contract = try #require(bed.chain.transaction(opened.contractTxid))
        var balance = try await bed.wallet.balance()
        #expect(balance.lockedInChannels == ManagerTestbed.sats(989_000))
        #expect(balance.confirmed == contract.outputs[1].value)

        let record = try #require(session.record)
        let settlement = try #require(try await session.close())
        await serverSession.waitUntilEnded()
        bed.chain.mine()
        let progress = try await follower.poll()
        #expect(progress.connected == 1)
        let clientScript = Script.p2pkh(publicKey: record.clientPublicKey)
        let change = try #require(settlement.outputs.first { $0.scriptPubKey == clientScript })
        #expect(change.value == ManagerTestbed.sats(989_000))
        balance = try await bed.wallet.balance()
        #expect(balance.lockedInChannels == .zero)
        #expect(balance.confirmed == (try contract.outputs[1].value.adding(change.value)))
        // Only the segwit change may fund a contract.
        #expect(balance.available == contract.outputs[1].value)

        // Spent out, the P2PKH input with the rest: the chain checks every script.
        let outsider = Script.p2wpkh(
            publicKey: try PrivateKey(secretBytes: Hashing.sha256(Array("out".utf8))).publicKey)
        let sent = try await bed.wallet.send(to: outsider, amount: .all, broadcaster: bed.chain)
        #expect(sent.transaction.inputs.count == 2)
        #expect(bed.chain.mempoolTxids.contains(sent.transaction.txid))
        bed.chain.mine()
        _ = try await follower.poll()
        balance = try await bed.wallet.balance()
        #expect(balance.confirmed == .zero)
        #expect(balance.unconfirmed == .zero)
    }
}
