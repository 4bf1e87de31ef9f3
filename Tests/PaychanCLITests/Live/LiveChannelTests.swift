import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// The managers in this process on a real regtest `bitcoind` (run when `PAYCHAN_BITCOIND` names
/// one): expiry, fee bumps and reorgs as Core judges them.
@Suite("the managers' chain work on a real bitcoind", .onDedicatedThreads, .enabled(if: LiveNode.enabled), .serialized)
struct LiveChannelTests {
    static let value: Int64 = 1_000_000

    @Test(
        "the client's refund: refused by Core as non-final before its lock time, accepted once the node's median time past passes it"
    )
    func refundAfterExpiry() async throws {
        try await LiveChannelBed.with { bed in
            let (session, _, pipe, record) = try await bed.openChannel()
            pipe.cut()
            await session.waitUntilEnded()
            let refund = record.refund
            let lockTime = UInt64(refund.lockTime)
            #expect(try await bed.node.medianTimePast() < lockTime)
            do throws(ChainError) {
                try await bed.client.node.broadcast(refund)
                Issue.record("Core accepted a refund before its lock time")
            } catch {
                #expect(error.kind == .notFinal, "\(error)")
            }

            // The client, past its refund time, tries: Core refuses it as non-final.
            let events = bed.clientManager.events()
            bed.client.clock.advance(to: record.expiry + bed.clientManager.config.channel.refundMargin + 1)
            let refused = await firstEvent(events) { event -> Bool? in
                guard case .broadcast(let transaction, .refund, let accepted) = event else { return nil }
                return transaction == refund ? accepted : nil
            }
            #expect(refused == false)
            #expect(try await bed.client.store.clientChannel(contractTxid: record.contractTxid)?.state == .open)

            // The node's clock passes the lock time, and blocks carry its median past it.
            try await bed.node.setMockTime(lockTime + 3600)
            try await bed.mine(11)
            #expect(try await bed.node.medianTimePast() > lockTime)
            bed.client.clock.advance(by: bed.clientManager.config.refundRetryInterval)
            let refunded = await firstEvent(events) { event -> Transaction? in
                guard case .refunded(record.contractTxid, let transaction) = event else { return nil }
                return transaction
            }
            #expect(refunded == refund)
            #expect(try await bed.node.mempool().contains(refund.txid.displayHex))
            try await bed.mine(1)
            #expect(try await bed.node.confirmations(of: refund.txid.displayHex) == 1)
            #expect(try await bed.client.store.clientChannel(contractTxid: record.contractTxid)?.state == .refunded)
            // The refund, P2PKH of the channel key, is the wallet's: the whole channel value less its fee.
            let balance = try await bed.client.wallet.balance()
            let change = satoshis(record.contract.outputs) - Self.value
            #expect(balance.confirmed.satoshis == change + satoshis(refund.outputs))
            #expect(balance.lockedInChannels == .zero)
        }
    }

    @Test(
        "the server settles before expiry on its own; the client, at its refund time, finds the settlement in its index and does not refund"
    )
    func settlementBeforeExpiry() async throws {
        try await LiveChannelBed.with { bed in
            let (session, serverSession, pipe, record) = try await bed.openChannel()
            pipe.cut()
            await session.waitUntilEnded()
            await serverSession.waitUntilEnded()
            let serverEvents = bed.serverManager.events()
            let margin = bed.serverManager.config.channel.expirySettlementMargin
            bed.server.clock.advance(to: record.expiry - margin)
            let settlement = try #require(
                await firstEvent(serverEvents) { event -> Transaction? in
                    guard case .broadcast(let transaction, .settlement, true) = event else { return nil }
                    return transaction
                })
            #expect(try await bed.node.mempool().contains(settlement.txid.displayHex))
            // Before expiry: the node's median time past is still before the refund's lock time.
            #expect(try await bed.node.medianTimePast() < UInt64(record.refund.lockTime))
            try await bed.mine(1)
            #expect(bed.server.follower.status(of: settlement.txid) == .confirmed(confirmations: 1))
            let paid = Self.value - record.valueLeft.satoshis
            let toServer = satoshis(settlement.outputs.filter { $0.scriptPubKey == bed.payout })
            #expect(toServer == paid - (Self.value - satoshis(settlement.outputs)))
            #expect(try await bed.server.wallet.balance().confirmed.satoshis == toServer)

            // The node keeps no record of the spent contract output: the client's index answers.
            let clientEvents = bed.clientManager.events()
            bed.client.clock.advance(to: record.expiry + 3600)
            let spender = await firstEvent(clientEvents) { event -> Hash256? in
                guard case .settledOnChain(record.contractTxid, let spender) = event else { return nil }
                return spender
            }
            #expect(spender == settlement.txid)
            #expect(try await bed.client.store.clientChannel(contractTxid: record.contractTxid)?.state == .settled)
            #expect(try await !bed.node.mempool().contains(record.refund.txid.displayHex))
            let change = satoshis(record.contract.outputs) - Self.value
            #expect(try await bed.client.wallet.balance().confirmed.satoshis == change + record.valueLeft.satoshis)
        }
    }

    @Test("a settlement left unconfirmed is bumped, and Core's mempool takes the replacement (RBF)")
    func feeBump() async throws {
        try await LiveChannelBed.with { bed in
            let (session, _, _, record) = try await bed.openChannel()
            let first = try #require(try await session.close())
            #expect(try await bed.node.mempool().contains(first.txid.displayHex))
            let events = bed.serverManager.events()
            bed.server.clock.advance(
                by: bed.serverManager.config.settlementRebroadcastAfter + bed.serverManager.config.chainCheckInterval)
            let bumped = try #require(
                await firstEvent(events) { event -> Transaction? in
                    guard case .settlementBumped(record.contractTxid, let settlement, _) = event else { return nil }
                    return settlement
                })
            let mempool = try await bed.node.mempool()
            #expect(mempool.contains(bumped.txid.displayHex))
            #expect(!mempool.contains(first.txid.displayHex))
            #expect(satoshis(bumped.outputs) < satoshis(first.outputs))
            try await bed.mine(1)
            #expect(try await bed.node.confirmations(of: bumped.txid.displayHex) == 1)
            #expect(bed.server.follower.status(of: bumped.txid) == .confirmed(confirmations: 1))
            let toServer = satoshis(bumped.outputs.filter { $0.scriptPubKey == bed.payout })
            #expect(try await bed.server.wallet.balance().confirmed.satoshis == toServer)
            print("fee bump: \(Self.value - satoshis(first.outputs)) -> \(Self.value - satoshis(bumped.outputs)) sat")
        }
    }

    @Test(
        "invalidateblock of the settlement's block: the followers disconnect it, the settlement is rebroadcast, then confirmed again in a new block"
    )
    func settlementReorganizedOut() async throws {
        try await LiveChannelBed.with { bed in
            let (session, _, _, record) = try await bed.openChannel()
            let settlement = try #require(try await session.close())
            let block = try #require(try await bed.mine(1).first)
            #expect(bed.server.follower.status(of: settlement.txid) == .confirmed(confirmations: 1))
            let toServer = satoshis(settlement.outputs.filter { $0.scriptPubKey == bed.payout })
            #expect(try await bed.server.wallet.balance().confirmed.satoshis == toServer)

            _ = try await bed.node.rpc.call("invalidateblock", [.string(block)])
            let progress = try await bed.server.sync()
            #expect(progress.disconnected == 1)
            #expect(progress.rebroadcast == [settlement.txid])
            #expect(bed.server.follower.status(of: settlement.txid) == .unknown)
            #expect(try await bed.node.mempool().contains(settlement.txid.displayHex))
            #expect(try await bed.server.wallet.balance().confirmed == .zero)
            #expect(bed.client.follower.spender(of: OutPoint(txid: record.contractTxid, index: 0)) != nil)
            try await bed.client.sync()
            #expect(bed.client.follower.spender(of: OutPoint(txid: record.contractTxid, index: 0)) == nil)

            // A new block (mined elsewhere, so it cannot be the invalid one again) confirms it.
            let other = try await bed.node.wallet.call("getnewaddress").string()
            let again = try #require(try await bed.mine(1, to: other).first)
            #expect(again != block)
            #expect(try await bed.node.txids(inBlock: again).contains(settlement.txid.displayHex))
            #expect(bed.server.follower.status(of: settlement.txid) == .confirmed(confirmations: 1))
            #expect(
                bed.client.follower.spender(of: OutPoint(txid: record.contractTxid, index: 0))?.txid == settlement.txid)
            #expect(try await bed.server.wallet.balance().confirmed.satoshis == toServer)
            let change = satoshis(record.contract.outputs) - Self.value
            let left = try #require(try await bed.client.store.clientChannel(contractTxid: record.contractTxid))
            #expect(try await bed.client.wallet.balance().confirmed.satoshis == change + left.valueLeft.satoshis)
        }
    }
}
