import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// Transactions Core refuses as not final (an absolute time lock, a BIP68 relative lock) until
/// the node's time and blocks make them final, as a channel refund is.
enum LockTimeScenario {
    static let name = "lock-times"

    static func run(_ node: RecordedNode) async throws {
        let chain = node.chain()
        let coins = try RegtestCoins(rpc: node.rpc)
        try await coins.mine(103)
        let reference = try await chain.lockTimeReference()
        #expect(reference > 1_296_688_602)

        // A time lock an hour past the median time past: non-final.
        let unlock = reference + 3_600
        let refund = try coins.spend(
            try await coins.coinbase(atHeight: 1), fee: 1_000, lockTime: UInt32(unlock), sequence: 0xffff_fffe)
        let early = await chainError { try await chain.broadcast(refund) }
        #expect(early?.kind == .notFinal, "\(String(describing: early))")
        #expect(early?.message.contains("non-final") == true)

        // The node's clock two hours on and 11 blocks later, the median time past has passed it.
        _ = try await node.rpc.call("setmocktime", [.integer(Int64(unlock) + 3_600)])
        try await coins.mine(11)
        #expect(try await chain.lockTimeReference() > unlock)
        try await chain.broadcast(refund)
        #expect(try await chain.status(of: refund.txid) == .inMempool)

        // A relative lock of 5 blocks (BIP68) on an output one block old: non-BIP68-final.
        let parent = try coins.spend(try await coins.coinbase(atHeight: 2), fee: 1_000)
        try await chain.broadcast(parent)
        try await coins.mine(1)
        let child = try coins.spend(
            try await coins.unspent(OutPoint(txid: parent.txid, index: 0)), fee: 1_000, sequence: 5)
        let relative = await chainError { try await chain.broadcast(child) }
        #expect(relative?.kind == .notFinal, "\(String(describing: relative))")
        #expect(relative?.message.contains("non-BIP68-final") == true)
        try await coins.mine(4)
        try await chain.broadcast(child)
        #expect(try await chain.status(of: child.txid) == .inMempool)
    }
}
