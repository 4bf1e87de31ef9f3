import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// What only a live node shows: a restart (new cookie, refused connections, warm-up), a node
/// that is down, and the node's own wallet. They run when `PAYCHAN_BITCOIND` names a bitcoind.
@Suite(.enabled(if: BitcoindProcess.binaryFromEnvironment != nil), .serialized)
struct LiveBitcoindTests {
    private func withNode(_ body: (BitcoindProcess, BitcoinCoreRPC) async throws -> Void) async throws {
        let binary = try #require(BitcoindProcess.binaryFromEnvironment)
        let node = try await BitcoindProcess.start(binary: binary)
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(
                url: node.rpcURL, credentials: .cookieFile(node.cookiePath),
                retry: RetryPolicy(attempts: 8, initialDelay: .milliseconds(100), maximumDelay: .seconds(1))))
        do { try await body(node, rpc) } catch {
            await rpc.shutdown()
            await node.stop()
            throw error
        }
        await rpc.shutdown()
        await node.stop()
    }

    @Test func restartedNodeIsFollowedWithItsNewCookie() async throws {
        try await withNode { node, rpc in
            let chain = BitcoinCoreChain(rpc: rpc, configuration: .init(network: .regtest))
            _ = try await chain.checkNode()
            let coins = try RegtestCoins(rpc: rpc)
            try await coins.mine(3)
            await node.terminate()
            // Down: a bounded wait, then `.unavailable`.
            let clock = ContinuousClock()
            let started = clock.now
            let down = await chainError { _ = try await chain.lockTimeReference() }
            #expect(down?.kind == .unavailable, "\(String(describing: down))")
            #expect(clock.now - started < .seconds(30))
            // Up again with a new cookie: the same client carries on.
            try await node.launch()
            let info = try await chain.waitForNode(timeout: .seconds(30), logger: .init(label: "test"))
            #expect(info.blocks == 3)
            #expect(try await rpc.call("getblockcount") == .integer(3))
        }
    }

    @Test func minesToTheNodesWalletAndReadsItsFees() async throws {
        try await withNode { node, rpc in
            _ = try await rpc.call("createwallet", ["paychan-test"])
            var walletConfiguration = rpc.configuration
            walletConfiguration.wallet = "paychan-test"
            let wallet = try BitcoinCoreRPC(configuration: walletConfiguration)
            let address = try await wallet.call("getnewaddress").string()
            let coins = try RegtestCoins(rpc: rpc)
            try await coins.mine(101, to: address)
            #expect(try await wallet.call("getbalance").double() == 50)
            // The node's wallet pays our key; the backend finds the output in the mempool.
            let ours = coins.address.string
            let txidText = try await wallet.call("sendtoaddress", [.string(ours), 1]).string()
            let txid = try #require(Hash256(displayHex: txidText))
            let chain = BitcoinCoreChain(rpc: rpc, configuration: .init(network: .regtest))
            #expect(try await chain.status(of: txid) == .inMempool)
            let payment = try #require(try await chain.fetchTransaction(txid))
            #expect(payment.outputs.contains { $0.scriptPubKey == coins.script && $0.value.satoshis == 100_000_000 })
            try await coins.mine(1, to: address)
            #expect(try await chain.status(of: txid) == .confirmed(confirmations: 1))
            // A few blocks give no estimate: the fallback (2 sat/vB), or the node's floor if higher.
            let floor = try await NodeStartScenario.mempoolFloor(rpc)
            let fallback = BitcoinCoreChain.Configuration.defaultFallbackFeeRate
            #expect(try await chain.feeRate(targetBlocks: 2) == max(fallback, floor))
            await wallet.shutdown()
        }
    }
}
