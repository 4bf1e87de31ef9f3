import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// The start check, the lock-time reference, fee rates and queries about unknown things, on a
/// fresh regtest node.
enum NodeStartScenario {
    static let name = "node-start"

    static func run(_ node: RecordedNode) async throws {
        let chain = node.chain()
        let info = try await chain.checkNode()
        #expect(info.chain == "regtest" && info.network == .regtest)
        #expect(info.blocks == 0)
        #expect(info.subversion.hasPrefix("/Satoshi:"))

        // The same answer, with another network configured: refused with a clear message.
        for network in [Network.signet, .mainnet, .testnet] {
            do throws(BitcoinCoreStartError) {
                _ = try await node.chain(network: network).checkNode()
                Issue.record("a regtest node accepted as \(network)")
            } catch {
                #expect(error == .wrongNetwork(expected: network, nodeChain: "regtest"))
                #expect(error.description.contains("\"regtest\""))
            }
        }

        // The regtest genesis block's time is the median time past of a chain of one block.
        #expect(try await chain.lockTimeReference() == 1_296_688_602)

        // No estimate on a fresh regtest node: the fallback, but never below the node's floor.
        let floor = try await mempoolFloor(node.rpc)
        #expect(floor > .zero)
        let fallback = try FeeRate(satoshisPerVirtualByte: 3)
        #expect(try await node.chain(fallback: fallback).feeRate(targetBlocks: 6) == max(fallback, floor))
        #expect(try await node.chain(fallback: .zero).feeRate(targetBlocks: 2_000) == floor)

        // Unknown things.
        let unknown = Hash256(displayHex: String(repeating: "ab", count: 32))!
        #expect(try await chain.status(of: unknown) == .unknown)
        #expect(try await chain.fetchTransaction(unknown) == nil)
        let outpoint = OutPoint(txid: unknown, index: 1)
        let error = await chainError { _ = try await chain.spender(of: outpoint) }
        #expect(
            error?.kind == .unavailable, "without a block index an unknown outpoint cannot be told from a spent one")
        let spender = Hash256(displayHex: String(repeating: "cd", count: 32))!
        let indexed = node.chain(history: FixedHistory(spenders: [outpoint: spender]))
        #expect(try await indexed.spender(of: outpoint) == spender)
    }

    /// The larger of the node's minimum relay fee and mempool minimum fee.
    static func mempoolFloor(_ rpc: BitcoinCoreRPC) async throws -> FeeRate {
        let info = try await rpc.call("getmempoolinfo")
        func rate(_ name: String) throws -> FeeRate {
            try FeeRate(satoshisPerKilovirtualByte: Int64((try info.member(name).double() * 1e8).rounded()))
        }
        return max(try rate("minrelaytxfee"), try rate("mempoolminfee"))
    }
}
