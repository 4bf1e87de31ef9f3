import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// `scantxoutset` for a wallet's descriptors: the coinbase outputs mined to a key, and none for
/// a key nothing paid.
enum ScanScenario {
    static let name = "scan"

    static func run(_ node: RecordedNode) async throws {
        let chain = node.chain()
        let coins = try RegtestCoins(rpc: node.rpc)
        try await coins.mine(101)
        let first = try await coins.coinbase(atHeight: 1)
        let spend = try coins.spend(first, fee: 1_000)
        try await chain.broadcast(spend)
        let last = try await coins.mine(1)

        let stranger = try PrivateKey(secretBytes: [UInt8](repeating: 8, count: 32)).publicKey
        let scan = try await chain.scanUnspentOutputs(matching: [
            .wpkh(coins.key.publicKey), .pkh(coins.key.publicKey), .wpkh(stranger),
        ])
        #expect(scan.height == 102 && scan.blockHash == last[0])
        // 102 coinbases paid the key; the first was spent to the key again.
        #expect(scan.outputs.count == 102)
        #expect(scan.outputs.allSatisfy { $0.output.scriptPubKey == coins.script })
        #expect(!scan.outputs.contains { $0.outpoint == first.outpoint })
        let respent = try #require(scan.outputs.first { $0.outpoint.txid == spend.txid })
        #expect(respent.height == 102 && respent.output == spend.outputs[0])
        // Core says which are coinbase outputs: all but the respent one.
        #expect(!respent.isCoinbase)
        let others = scan.outputs.filter { $0.outpoint != respent.outpoint }
        #expect(others.count == 101 && others.allSatisfy { $0.isCoinbase })
        #expect(try await chain.scanUnspentOutputs(matching: [.wpkh(stranger)]).outputs.isEmpty)
        #expect(try await chain.tipHeight() == 102)
    }
}
