import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// Blocks and headers from the node for the chain follower, and a follower over them that
/// sees a spend confirmed, then taken off the chain by a 2-block reorg (`invalidateblock`) and
/// rebroadcast; the backend answers confirmed history from the follower's index.
enum BlockSourceScenario {
    static let name = "block-source"

    static func run(_ node: RecordedNode) async throws {
        let source = BitcoinCoreBlockSource(rpc: node.rpc)
        let coins = try RegtestCoins(rpc: node.rpc)
        let mined = try await coins.mine(101)
        let tip = try await source.bestTip()
        #expect(tip == BlockPosition(height: 101, hash: mined[100]))
        #expect(try await source.blockHash(atHeight: 1) == mined[0])
        #expect(try await source.blockHash(atHeight: 102) == nil)
        #expect(try await source.blockHash(atHeight: -1) == nil)
        let header = try #require(try await source.header(mined[100]))
        #expect(header.height == 101 && header.previousBlockHash == mined[99])
        let block = try #require(try await source.block(mined[0]))
        #expect(block.header.hash == mined[0])
        #expect(block.transactions.first?.outputs.first?.scriptPubKey == coins.script)
        let unknown = Hash256(displayHex: String(repeating: "11", count: 32))!
        #expect(try await source.block(unknown) == nil)
        #expect(try await source.header(unknown) == nil)

        // A follower over the node, watching a coinbase output and the spend we broadcast.
        let chain = node.chain()
        let store = InMemoryChannelStore()
        let follower = try await ChainFollower(source: source, store: store, broadcaster: chain, birthday: 100)
        chain.attach(history: follower)
        let coinbase = try await coins.coinbase(atHeight: 1)
        let spend = try coins.spend(coinbase, fee: 1_000)
        try await follower.watch([.outpoint(coinbase.outpoint), .ownTransaction(spend)])
        try await chain.broadcast(spend)
        let confirming = try await coins.mine(2)
        let progress = try await follower.poll()
        #expect(progress.connected == 4 && progress.cursor?.hash == confirming[1])
        #expect(try await chain.status(of: spend.txid) == .confirmed(confirmations: 2))
        #expect(try await chain.spender(of: coinbase.outpoint) == spend.txid)
        #expect(try await chain.fetchTransaction(spend.txid) == spend)

        // Both blocks invalidated, two other blocks mined in their place without the spend.
        _ = try await node.rpc.call("invalidateblock", [.string(confirming[0].displayHex)])
        _ = try await node.rpc.call("prioritisetransaction", [.string(spend.txid.displayHex), 0, -100_000])
        let other = try RegtestCoins(rpc: node.rpc, seedByte: 9)
        let replacing = try await other.mine(3)
        let afterReorg = try await follower.poll()
        #expect(afterReorg.disconnected == 2 && afterReorg.connected == 3)
        #expect(afterReorg.cursor?.hash == replacing[2])
        #expect(afterReorg.rebroadcast == [spend.txid])
        #expect(try await chain.status(of: spend.txid) == .inMempool)
        #expect(try await chain.spender(of: coinbase.outpoint) == spend.txid)
        // The node still has the blocks the reorg left behind.
        let stale = try #require(try await source.block(confirming[0]))
        #expect(stale.transactions.contains { $0.txid == spend.txid })
        #expect(try await source.header(confirming[1])?.height == 103)
    }
}
