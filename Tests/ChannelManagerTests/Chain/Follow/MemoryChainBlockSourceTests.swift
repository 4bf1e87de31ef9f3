import BitcoinPrimitives
import ChannelManager
import Testing

/// ``MemoryChain`` as a ``BlockSource``: its blocks are real blocks.
@Suite("MemoryChain as a BlockSource")
struct MemoryChainBlockSourceTests {
    @Test("every block it serves parses strictly from its own bytes and links to the one before")
    func blocksAreReal() async throws {
        let chain = MemoryChain(clock: ManualClock(now: ChainFixtures.start))
        let alice = try TestSpender("alice")
        let coin = try alice.fund(chain, 50_000)
        try chain.accept(try alice.spend(coin, fee: 500))
        let spendTxid = try #require(chain.mempoolTxids.first)
        chain.mine(blocks: 2)
        let tip = try await chain.bestTip()
        #expect(tip.height == 3)
        #expect(tip.hash == chain.blocks[3].hash)
        var previous = Hash256.zero
        for height in 0...tip.height {
            let hash = try #require(try await chain.blockHash(atHeight: height))
            let block = try #require(try await chain.block(hash))
            let parsed = try Block(bytes: block.serialized)
            #expect(parsed == block)
            #expect(block.hash == hash)
            #expect(block.header.previousBlockHash == previous)
            #expect(block.header.time == UInt32(chain.blocks[height].timestamp))
            #expect(try await chain.header(hash) == ChainHeader(header: block.header, height: height))
            // The chain's own transactions, after a placeholder coinbase when it has none.
            let own = block.transactions.map(\.txid).filter { chain.blocks[height].txids.contains($0) }
            #expect(own == chain.blocks[height].txids)
            previous = hash
        }
        // The segwit spend's block carries a witness commitment.
        let spendBlock = try #require(try await chain.block(chain.blocks[2].hash))
        #expect(spendBlock.transactions.map(\.txid).contains(spendTxid))
        #expect(WitnessCommitment.commitment(in: spendBlock.transactions[0]) != nil)
        // A funding block's coinbase is the funding itself.
        #expect(try await chain.block(chain.blocks[1].hash)?.transactions.map(\.txid) == [coin.outpoint.txid])
        #expect(try await chain.blockHash(atHeight: 4) == nil)
        #expect(try await chain.blockHash(atHeight: -1) == nil)
        #expect(try await chain.block(.zero) == nil)
        #expect(try await chain.header(.zero) == nil)
    }
}
