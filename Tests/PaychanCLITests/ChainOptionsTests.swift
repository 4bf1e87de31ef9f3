import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// `--chain`, `--network` and the `--bitcoind-*` options of `paychan server` and `paychan client`:
/// bad options exit 1, a node that cannot be reached exits 2, a node on another network exits 1.
@Suite(.onDedicatedThreads, .onDedicatedThreads) struct ChainOptionsTests {
    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-chainopts-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func server(_ directory: String, _ options: [String]) throws -> PaychanProcess.Result {
        try PaychanProcess.run(["server", "--listen", "127.0.0.1:0", "--dir", directory] + options)
    }

    private func client(_ directory: String, _ options: [String]) throws -> PaychanProcess.Result {
        try PaychanProcess.run(
            ["client", "--server", "127.0.0.1:1", "--dir", directory, "--channel-value", "200000", "--amount", "1000"]
                + options)
    }

    @Test func badOptionsExitOne() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases: [([String], String)] = [
            (["--chain", "electrum"], "unknown chain backend"),
            (["--network", "litecoin"], "unknown network"),
            (
                ["--chain", "bitcoind", "--bitcoind-cookie", "/x", "--bitcoind-user", "u", "--bitcoind-password", "p"],
                "not both"
            ),
            (["--chain", "bitcoind", "--bitcoind-user", "u"], "go together"),
            (["--chain", "bitcoind", "--bitcoind-rpc", "localhost:8332"], "--bitcoind-rpc"),
            (["--chain", "bitcoind", "--fallback-fee-rate=-1"], "--fallback-fee-rate"),
        ]
        for (options, message) in cases {
            for result in [try server(directory, options), try client(directory, options)] {
                #expect(result.status == 1, "\(options): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
            }
        }
    }

    @Test func unreachableNodeExitsTwo() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try BitcoindProcess.freeLoopbackPort()
        let options = [
            "--chain", "bitcoind", "--bitcoind-rpc", "http://127.0.0.1:\(port)", "--bitcoind-user", "u",
            "--bitcoind-password", "p", "--bitcoind-wait", "0.5",
        ]
        for result in [try server(directory, options), try client(directory, options)] {
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("cannot reach bitcoind"), "\(result.stderr)")
        }
    }

    @Test(.enabled(if: BitcoindProcess.binaryFromEnvironment != nil))
    func nodeOnAnotherNetworkExitsOne() async throws {
        let binary = try #require(BitcoindProcess.binaryFromEnvironment)
        let node = try await BitcoindProcess.start(binary: binary)
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = [
            "--chain", "bitcoind", "--network", "signet", "--bitcoind-rpc", node.rpcURL, "--bitcoind-cookie",
            node.cookiePath,
        ]
        let result = try server(directory, options)
        await node.stop()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\"regtest\""), "\(result.stderr)")
    }

    @Test(.enabled(if: BitcoindProcess.binaryFromEnvironment != nil))
    func serverFollowsARegtestNode() async throws {
        let binary = try #require(BitcoindProcess.binaryFromEnvironment)
        let node = try await BitcoindProcess.start(binary: binary)
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(url: node.rpcURL, credentials: .cookieFile(node.cookiePath)))
        let key = try PrivateKey(secretBytes: [UInt8](repeating: 3, count: 32))
        let address = Address.p2wpkh(publicKey: key.publicKey, network: .regtest).string
        _ = try await rpc.call("generatetoaddress", [2, .string(address)])
        let server = try RunningServer(
            directory: directory + "/server",
            extraArguments: [
                "--chain", "bitcoind", "--bitcoind-rpc", node.rpcURL, "--bitcoind-cookie", node.cookiePath,
                "--bitcoind-poll", "0.1",
            ])
        #expect(server.port > 0)
        // Blocks mined while it runs are followed; the cursor is stored with the channels.
        let tip = try await rpc.call("generatetoaddress", [3, .string(address)]).array().last?.string()
        try await Task.sleep(for: .seconds(2))
        #expect(server.stop() == 0, "\(server.log)")
        await rpc.shutdown()
        await node.stop()
        let store = try SQLiteChannelStore(
            path: directory + "/server/channels.sqlite", clock: SystemClock(), readOnly: true)
        let cursor = try await store.chainIndex().cursor
        store.close()
        #expect(cursor?.height == 5, "\(String(describing: cursor))")
        #expect(cursor?.hash.displayHex == tip)
    }
}
