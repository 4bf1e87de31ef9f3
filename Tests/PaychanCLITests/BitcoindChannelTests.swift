import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// `paychan server` and `paychan client` on a regtest bitcoind, two processes over TCP: the
/// client's seed wallet finds a coin the node's wallet sent it, funds a channel, pays 100 times
/// and closes; the settlement reaches the node's mempool and is mined. Runs when
/// `PAYCHAN_BITCOIND` names a bitcoind.
@Suite(.onDedicatedThreads, .enabled(if: BitcoindProcess.binaryFromEnvironment != nil))
struct BitcoindChannelTests {
    @Test func channelLifeOnARegtestNode() async throws {
        let binary = try #require(BitcoindProcess.binaryFromEnvironment)
        let node = try await BitcoindProcess.start(binary: binary)
        let scratch = try ScratchDirectory()
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(url: node.rpcURL, credentials: .cookieFile(node.cookiePath)))
        do {
            try await channelLife(node: node, rpc: rpc, directory: scratch.path)
        } catch {
            await rpc.shutdown()
            await node.stop()
            throw error
        }
        await rpc.shutdown()
        await node.stop()
    }

    private func channelLife(node: BitcoindProcess, rpc: BitcoinCoreRPC, directory: String) async throws {
        let chainOptions = [
            "--chain", "bitcoind", "--bitcoind-rpc", node.rpcURL, "--bitcoind-cookie", node.cookiePath,
            "--bitcoind-poll", "0.2",
        ]
        // The node's wallet, with mature coins.
        _ = try await rpc.call("createwallet", ["miner"])
        var walletConfiguration = rpc.configuration
        walletConfiguration.wallet = "miner"
        let miner = try BitcoinCoreRPC(configuration: walletConfiguration)
        defer { Task { await miner.shutdown() } }
        let minerAddress = try await miner.call("getnewaddress").string()
        _ = try await rpc.call("generatetoaddress", [101, .string(minerAddress)])

        // A first client run (no server to reach) makes its seed and starts following the node.
        let clientDirectory = directory + "/client"
        let first = try PaychanProcess.run(
            [
                "client", "--server", "127.0.0.1:1", "--dir", clientDirectory, "--channel-value", "1000000", "--amount",
                "1000",
            ] + chainOptions)
        #expect(first.status == 2, "\(first.stderr)")
        let keychain = try ChannelKeychain(seed: try SeedFile.loadOrCreate(at: clientDirectory + "/seed"))
        let receive = try keychain.key(.walletReceive, index: 0).publicKey
        let clientAddress = Address.p2wpkh(publicKey: receive, network: .regtest).string
        _ = try await miner.call("sendtoaddress", [.string(clientAddress), .number(0.05)])
        _ = try await rpc.call("generatetoaddress", [1, .string(minerAddress)])

        let server = try RunningServer(directory: directory + "/server", extraArguments: chainOptions)
        defer { server.stop() }
        let client = try PaychanProcess.run(
            [
                "client", "--server", server.address, "--dir", clientDirectory, "--channel-value", "1000000",
                "--payments", "100", "--amount", "1000", "--close", "--json",
            ] + chainOptions)
        #expect(client.status == 0, "\(client.stderr)\n\(server.log)")
        let outcome = try client.json()
        // 100 payments of 1,000 and the 1,000 the server asks for at the open.
        #expect(outcome["run_acked_sats"] as? Int == 101_000)
        let settlement = try #require(outcome["settlement"] as? [String: Any])
        let settlementTxid = try #require(settlement["txid"] as? String)
        let contractTxid = try #require(outcome["contract_txid"] as? String)
        // Both are in the node's mempool, then mined.
        let mempool = try await rpc.call("getrawmempool").array().map { try $0.string() }
        #expect(mempool.contains(contractTxid) && mempool.contains(settlementTxid), "\(mempool)")
        _ = try await rpc.call("generatetoaddress", [1, .string(minerAddress)])
        let mined = try await rpc.call(
            "getrawtransaction",
            [.string(settlementTxid), true, .string(try await rpc.call("getbestblockhash").string())])
        #expect(try mined.member("confirmations").integer() == 1)
    }
}
