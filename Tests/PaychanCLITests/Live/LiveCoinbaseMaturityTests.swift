import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanTestSupport
import Testing

/// A coinbase mined to the client's wallet on a real regtest `bitcoind` (run when
/// `PAYCHAN_BITCOIND` names one): the wallet funds nothing from it before Core would take the
/// spend.
@Suite("a coinbase in the wallet on a real bitcoind", .onDedicatedThreads, .enabled(if: LiveNode.enabled), .serialized)
struct LiveCoinbaseMaturityTests {
    @Test(
        "a coinbase mined to the client's wallet funds no channel before its 100th confirmation (a clear insufficient-funds refusal, nothing sent to Core), and one at 100"
    )
    func immatureCoinbaseFundsNoChannel() async throws {
        // The node's wallet pays the client 20,000 sat: far too little for the channel alone.
        try await LiveChannelBed.with(funding: 20_000) { bed in
            let address = try await bed.client.wallet.receiveAddress(network: .regtest)
            try await bed.mine(1, to: address.string)
            var balance = try await bed.client.wallet.balance()
            let coinbase = balance.immature
            #expect(coinbase.satoshis > 1_000_000)
            #expect(balance.confirmed.satoshis == 20_000)
            #expect(balance.unconfirmed == coinbase)
            #expect(try await bed.client.wallet.storedOutputs().filter(\.isCoinbase).map(\.value) == [coinbase])

            // 99 confirmations: still immature, and the open is refused by the wallet.
            try await bed.mine(98)
            balance = try await bed.client.wallet.balance()
            #expect(balance.immature == coinbase)
            #expect(balance.confirmed.satoshis == 20_000)
            let mempoolBefore = try await bed.node.mempool()
            let (session, _, pipe) = try await bed.connect()
            do {
                _ = try await session.open(value: try Amount(satoshis: 1_000_000))
                Issue.record("a channel opened on an immature coinbase")
            } catch {
                let text = "\(error)"
                #expect(text.contains("could not fund"), "\(text)")
                #expect(text.contains("more is in coinbase outputs under 100 confirmations"), "\(text)")
                print("open at 99 confirmations refused: \(text)")
            }
            pipe.cut()
            #expect(try await bed.node.mempool() == mempoolBefore)
            #expect(try await bed.client.wallet.storedOutputs().allSatisfy { $0.spentBy == nil })

            // The 100th: confirmed, and the channel opens on it; Core takes the contract.
            try await bed.mine(1)
            balance = try await bed.client.wallet.balance()
            #expect(balance.immature == .zero)
            #expect(balance.confirmed.satoshis == coinbase.satoshis + 20_000)
            let (_, _, _, record) = try await bed.openChannel()
            #expect(try await bed.node.confirmations(of: record.contractTxid.displayHex) == 1)
        }
    }
}
