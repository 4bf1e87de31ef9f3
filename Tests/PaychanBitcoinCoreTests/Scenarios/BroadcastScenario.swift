import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// Broadcasts Core accepts (again), a fee bump that replaces, and the refusals of fees too low,
/// inputs missing or spent, and what follows a transaction into a block.
enum BroadcastScenario {
    static let name = "broadcast"

    static func run(_ node: RecordedNode) async throws {
        let chain = node.chain()
        let coins = try RegtestCoins(rpc: node.rpc)
        try await coins.mine(101)
        let coinbase = try await coins.coinbase(atHeight: 1)
        #expect(coinbase.output.value.satoshis == 50 * 100_000_000)
        #expect(try await chain.status(of: coinbase.outpoint.txid) == .confirmed(confirmations: 101))

        // Accepted, then accepted again (Core answers the txid of what its mempool has).
        let first = try coins.spend(coinbase, fee: 1_000)
        try await chain.broadcast(first)
        try await chain.broadcast(first)
        #expect(try await chain.status(of: first.txid) == .inMempool)
        #expect(try await chain.fetchTransaction(first.txid) == first)
        #expect(try await chain.spender(of: coinbase.outpoint) == first.txid)
        #expect(try await chain.spender(of: OutPoint(txid: first.txid, index: 0)) == nil)

        // A conflicting spend paying less: Core's "insufficient fee" (BIP125 rules 3 and 4).
        let cheaper = try coins.spend(coinbase, fee: 500)
        let cheap = await chainError { try await chain.broadcast(cheaper) }
        #expect(cheap?.kind == .feeTooLow, "\(String(describing: cheap))")
        #expect(cheap?.message.contains("insufficient fee") == true)

        // A fee bump replaces the first.
        let bumped = try coins.spend(coinbase, fee: 5_000)
        try await chain.broadcast(bumped)
        #expect(try await chain.status(of: bumped.txid) == .inMempool)
        #expect(try await chain.status(of: first.txid) == .unknown)
        #expect(try await chain.spender(of: coinbase.outpoint) == bumped.txid)

        // Below the minimum relay fee: refused as such.
        let second = try await coins.coinbase(atHeight: 2)
        let free = try coins.spend(second, fee: 0)
        let unpaid = await chainError { try await chain.broadcast(free) }
        #expect(unpaid?.kind == .feeTooLow, "\(String(describing: unpaid))")
        #expect(unpaid?.message.contains("min relay fee not met") == true)

        // Dust: rejected.
        let dust = try coins.spend(second, fee: 1_000, outputValue: 1)
        #expect(await chainError { try await chain.broadcast(dust) }?.kind == .rejected)

        // An input nobody has seen: rejected (Core cannot tell missing from spent).
        var phantom = second
        phantom.outpoint = OutPoint(txid: Hash256(displayHex: String(repeating: "42", count: 32))!, index: 0)
        let missing = await chainError { try await chain.broadcast(try coins.spend(phantom, fee: 1_000)) }
        #expect(missing?.kind == .rejected, "\(String(describing: missing))")

        // Mined: the bump is confirmed, sent again it is accepted (Core's -27).
        try await coins.mine(1)
        #expect(try await chain.status(of: bumped.txid) == .confirmed(confirmations: 1))
        try await chain.broadcast(bumped)
        // Without -txindex Core no longer has it, nor its spend of the coinbase.
        #expect(try await chain.fetchTransaction(bumped.txid) == nil)
        #expect(await chainError { _ = try await chain.spender(of: coinbase.outpoint) }?.kind == .unavailable)
        // The first spend now spends an output spent in a block: rejected without a block
        // index, a double spend with one that knows the spender.
        #expect(await chainError { try await chain.broadcast(first) }?.kind == .rejected)
        let history = FixedHistory(
            confirmed: [bumped.txid: 1], spenders: [coinbase.outpoint: bumped.txid],
            transactions: [bumped.txid: bumped])
        let indexed = node.chain(history: history)
        #expect(await chainError { try await indexed.broadcast(first) }?.kind == .doubleSpend)
        #expect(try await indexed.spender(of: coinbase.outpoint) == bumped.txid)
        #expect(try await indexed.fetchTransaction(bumped.txid) == bumped)
    }
}
