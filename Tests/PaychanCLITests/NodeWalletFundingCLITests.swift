import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// `paychan client --funding`: refused (exit 1) when malformed or without `--chain bitcoind`;
/// on a regtest bitcoind (when `PAYCHAN_BITCOIND` names one), a channel funded by the node's
/// own wallet is opened, paid and closed by `paychan server` and `paychan client` processes.
@Suite(.onDedicatedThreads, .onDedicatedThreads) struct NodeWalletFundingCLITests {
    @Test func badFundingOptionsExitOne() throws {
        let scratch = try ScratchDirectory()
        let cases: [([String], String)] = [
            (["--funding", "node-wallet"], "needs --chain bitcoind"),
            (["--funding", "node-wallet=miner", "--chain", "memory"], "needs --chain bitcoind"),
            (["--funding", "node-wallet="], "--funding must be"),
            (["--funding", "electrum"], "--funding must be"),
        ]
        for (options, message) in cases {
            let result = try PaychanProcess.run(
                [
                    "client", "--server", "127.0.0.1:1", "--dir", scratch.path, "--channel-value", "200000", "--amount",
                    "1000",
                ]
                    + options)
            #expect(result.status == 1, "\(options): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
    }

    @Test(.enabled(if: LiveNode.enabled))
    func channelFundedByTheNodesWallet() async throws {
        try await LiveNode.with { node in
            let scratch = try ScratchDirectory()
            let rpc = node.rpc
            let chainOptions = [
                "--chain", "bitcoind", "--bitcoind-rpc", node.process.rpcURL, "--bitcoind-cookie",
                node.process.cookiePath, "--bitcoind-poll", "0.2",
            ]
            // A second wallet loaded, so the client must name the one that funds (`/wallet/node`).
            _ = try await rpc.call("createwallet", ["other"])
            #expect(try await node.wallet.call("getbalance").double() == 50)

            let server = try RunningServer(directory: scratch.path + "/server", extraArguments: chainOptions)
            defer { server.stop() }
            let start = ContinuousClock.now
            let client = try PaychanProcess.run(
                [
                    "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value",
                    "1000000", "--payments", "100", "--amount", "1000", "--close", "--json", "--funding",
                    "node-wallet=node",
                ] + chainOptions)
            let elapsed = ContinuousClock.now - start
            #expect(client.status == 0, "\(client.stderr)\n\(server.log)")
            let outcome = try client.json()
            #expect(outcome["run_acked_sats"] as? Int == 101_000)
            let contractTxid = try #require(outcome["contract_txid"] as? String)
            let settlement = try #require(outcome["settlement"] as? [String: Any])
            let settlementTxid = try #require(settlement["txid"] as? String)
            let mempool = try await rpc.call("getrawmempool").array().map { try $0.string() }
            #expect(mempool.contains(contractTxid) && mempool.contains(settlementTxid), "\(mempool)")

            // The node's wallet paid the contract (its fee is the wallet's), output 0 the
            // 1,000,000-sat contract.
            let contract = try await node.wallet.call("gettransaction", [.string(contractTxid), true, true])
            let vout = try contract.member("decoded").member("vout").array()
            #expect(try vout[0].member("value").double() == 0.01)
            #expect(try contract.member("fee").double() < 0)
            _ = try await node.mine(1)
            let mined = try await rpc.call(
                "getrawtransaction",
                [
                    .string(contractTxid), true,
                    .string(try await rpc.call("getbestblockhash").string()),
                ])
            #expect(try mined.member("confirmations").integer() == 1)
            // Nothing stays locked in the node's wallet.
            #expect(try await node.wallet.call("listlockunspent").array().isEmpty)
            // More than the node's wallet holds: exit 4, nothing locked.
            let tooMuch = try PaychanProcess.run(
                [
                    "client", "--server", server.address, "--dir", scratch.path + "/client2", "--channel-value",
                    "15000000000", "--amount", "1000", "--funding", "node-wallet=node",
                ] + chainOptions)
            #expect(tooMuch.status == 4, "\(tooMuch.stderr)")
            #expect(tooMuch.stderr.contains("too little"), "\(tooMuch.stderr)")
            #expect(try await node.wallet.call("listlockunspent").array().isEmpty)
            print("node-wallet funded channel: open, 100 payments and close in \(elapsed)")
        }
    }
}
