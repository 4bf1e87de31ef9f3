import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

@Suite("Expiry with a manual clock")
struct ExpiryTests {
    static let sats = ManagerTestbed.sats

    @Test("the server settles a margin before the refund unlocks, without the client")
    func serverSettlesBeforeExpiry() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, pipe) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(400_000))
        try await session.pay(Self.sats(5_000))
        pipe.cut()
        let margin = bed.server.config.channel.expirySettlementMargin
        bed.clock.advance(to: opened.expiry - margin - 1)
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.state == .open)
        bed.clock.advance(to: opened.expiry - margin)
        try await eventually("server settled") {
            try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.state == .settled
        }
        let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        let settlement = try #require(record.settlement)
        #expect(bed.chain.mempoolTxids.contains(settlement.txid))
        bed.chain.mine()
        #expect(bed.chain.spendingTransaction(of: OutPoint(txid: opened.contractTxid, index: 0)) == settlement.txid)
    }

    @Test("a server started after the margin has passed settles at once")
    func lateStartSettles() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, pipe) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(400_000))
        try await session.pay(Self.sats(5_000))
        pipe.cut()
        await bed.server.shutdown()
        bed.clock.advance(to: opened.expiry - 60)
        let restarted = try ServerManager(
            config: bed.server.config, store: bed.serverStore, chain: bed.chain, keychain: bed.serverKeychain,
            clock: bed.clock)
        try await restarted.start()
        try await eventually("restarted server settled") {
            try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.state == .settled
        }
    }

    @Test("the client refunds after expiry; the chain takes the refund only after its lock time")
    func clientRefunds() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, pipe) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(300_000))
        pipe.cut()
        // The server is gone for good: it never settles.
        await bed.server.shutdown()
        bed.chain.mine()
        let record = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(record.refund.lockTime == UInt32(opened.expiry))
        // Before the lock time the chain refuses the refund outright.
        await #expect(throws: ChainError.self) { try await bed.chain.broadcast(record.refund) }

        // The refund deadline passes, but the chain's median time past lags behind the clock:
        // the refund is not final yet, so the client keeps the channel and retries.
        let events = bed.client.events()
        bed.clock.advance(to: opened.expiry + bed.client.config.channel.refundMargin)
        let refused = await firstEvent(in: events) { (event: ClientManagerEvent) in
            if case .broadcast(let tx, .refund, let accepted) = event {
                return tx.txid == record.refund.txid && !accepted
            }
            return false
        }
        #expect(refused)
        #expect(bed.chain.record(record.refund.txid) == nil)
        #expect(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid)?.state == .open)

        // Blocks mined at the new time bring the median past the lock time; the retry succeeds.
        bed.chain.mine(blocks: 11)
        bed.clock.advance(by: bed.client.config.refundRetryInterval)
        try await eventually("refunded") {
            try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid)?.state == .refunded
        }
        #expect(bed.chain.mempoolTxids.contains(record.refund.txid))
        bed.chain.mine()
        #expect(bed.chain.spendingTransaction(of: OutPoint(txid: opened.contractTxid, index: 0)) == record.refund.txid)
    }
}

@Suite("Configured intervals never overflow")
struct IntervalOverflowTests {
    @Test("a client asked to wait UInt64.max seconds before retrying a refund keeps running")
    func hugeIntervals() async throws {
        let bed = try await ManagerTestbed(serverConfig: { config in
            config.chainCheckInterval = .max
            config.settlementRebroadcastAfter = .max
        })
        let (session, _, _) = try await bed.connect()
        let opened = try await session.open(value: ManagerTestbed.sats(300_000))
        try await session.pay(ManagerTestbed.sats(1_000))
        // The chain check and the rebroadcast deadline saturate instead of trapping.
        await bed.server.checkChain()
        #expect(opened.valueLeft == ManagerTestbed.sats(299_000))
    }
}
