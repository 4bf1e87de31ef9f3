import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// A `bitcoind -regtest` for a live test (``BitcoindProcess``: a temporary data directory, free
/// loopback ports), with a wallet of its own (`node`) holding 101 blocks of coinbase (the
/// first one mature), and what the tests ask of it over JSON-RPC.
final class LiveNode: Sendable {
    /// Whether live tests run: `PAYCHAN_BITCOIND` names a `bitcoind`.
    static var enabled: Bool { BitcoindProcess.binaryFromEnvironment != nil }

    let process: BitcoindProcess
    /// Node-wide calls.
    let rpc: BitcoinCoreRPC
    /// Calls of the node's wallet `node`.
    let wallet: BitcoinCoreRPC
    /// An address of the node's wallet, that blocks are mined to.
    let minerAddress: String

    private init(process: BitcoindProcess, rpc: BitcoinCoreRPC, wallet: BitcoinCoreRPC, minerAddress: String) {
        self.process = process
        self.rpc = rpc
        self.wallet = wallet
        self.minerAddress = minerAddress
    }

    /// Starts a node, creates its wallet (loaded again at each start) and mines 101 blocks to it.
    static func start() async throws -> LiveNode {
        let binary = try #require(BitcoindProcess.binaryFromEnvironment)
        let process = try await BitcoindProcess.start(binary: binary)
        do {
            // Wait out the node's warm-up (RPC -28) first, which takes seconds while other
            // tests start nodes too; the tests' own clients give up after 0.3 s.
            var patient = configuration(process)
            patient.retry = RetryPolicy(
                attempts: 120, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(500))
            let warmUp = try BitcoinCoreRPC(configuration: patient)
            do { _ = try await warmUp.call("getblockchaininfo") } catch {
                await warmUp.shutdown()
                throw error
            }
            await warmUp.shutdown()
            let rpc = try BitcoinCoreRPC(configuration: configuration(process))
            var walletConfiguration = configuration(process)
            walletConfiguration.wallet = "node"
            let wallet = try BitcoinCoreRPC(configuration: walletConfiguration)
            // createwallet name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors, load_on_startup
            _ = try await rpc.call("createwallet", ["node", false, false, "", false, true, true])
            let address = try await wallet.call("getnewaddress").string()
            let node = LiveNode(process: process, rpc: rpc, wallet: wallet, minerAddress: address)
            try await node.mine(101)
            return node
        } catch {
            await process.stop()
            throw error
        }
    }

    /// Runs `body` on a new node, stopped afterwards whatever happens.
    static func with(_ body: (LiveNode) async throws -> Void) async throws {
        let node = try await start()
        do { try await body(node) } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }

    /// RPC settings for `process`: its cookie, short retries (a test waits on purpose).
    static func configuration(_ process: BitcoindProcess) -> RPCConfiguration {
        RPCConfiguration(
            url: process.rpcURL, credentials: .cookieFile(process.cookiePath),
            retry: RetryPolicy(attempts: 3, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400)))
    }

    /// Stops the node and removes its data directory.
    func stop() async {
        await halt()
        await rpc.shutdown()
        await wallet.shutdown()
        await process.stop()
    }

    /// Stops the node, keeping its data directory (``BitcoindProcess/launch()`` starts it
    /// again). It is asked over RPC (`stop`) first: a node started from a test process may
    /// not see the SIGTERM ``BitcoindProcess/terminate()`` sends (it waited the full 30 s).
    func halt() async {
        _ = try? await rpc.call("stop")
        await process.terminate()
    }

    /// The options that point `paychan` at this node.
    var chainArguments: [String] {
        [
            "--chain", "bitcoind", "--network", "regtest", "--bitcoind-rpc", process.rpcURL, "--bitcoind-cookie",
            process.cookiePath, "--bitcoind-poll", "0.2",
        ]
    }

    /// A backend over a client of its own (shut it down with `rpc.shutdown()`).
    func chain() throws -> BitcoinCoreChain {
        BitcoinCoreChain(
            rpc: try BitcoinCoreRPC(configuration: Self.configuration(process)),
            configuration: .init(network: .regtest))
    }

    /// Mines `blocks` blocks to `address` (the node's wallet by default); their hashes.
    @discardableResult
    func mine(_ blocks: Int, to address: String? = nil) async throws -> [String] {
        try await rpc.call("generatetoaddress", [.integer(Int64(blocks)), .string(address ?? minerAddress)]).array()
            .map { try $0.string() }
    }

    /// Mines a block whose coinbase pays `address`, then 100 more so that it is mature; the
    /// coinbase's txid and value.
    func fundByCoinbase(_ address: String) async throws -> (txid: String, value: Int64) {
        let block = try #require(try await mine(1, to: address).first)
        try await mine(100)
        let txid = try #require(try await txids(inBlock: block).first)
        return (txid, satoshis(try await transaction(txid, inBlock: block).outputs))
    }

    /// Sends `satoshis` from the node's wallet to `address`; the txid.
    @discardableResult
    func send(_ satoshis: Int64, to address: String) async throws -> String {
        let btc = Double(satoshis) / 100_000_000
        return try await wallet.call("sendtoaddress", [.string(address), .number(btc)]).string()
    }

    /// The txids in the mempool.
    func mempool() async throws -> Set<String> {
        Set(try await rpc.call("getrawmempool").array().map { try $0.string() })
    }

    /// The height of the tip.
    func height() async throws -> Int { Int(try await rpc.call("getblockcount").integer()) }

    /// The median time past of the tip.
    func medianTimePast() async throws -> UInt64 {
        UInt64(try await rpc.call("getblockchaininfo").member("mediantime").integer())
    }

    /// The txids of block `hash`.
    func txids(inBlock hash: String) async throws -> [String] {
        try await rpc.call("getblock", [.string(hash), 1]).member("tx").array().map { try $0.string() }
    }

    /// A mined transaction, from its block (no -txindex needed).
    func transaction(_ txid: String, inBlock hash: String) async throws -> Transaction {
        try Transaction(hex: try await rpc.call("getrawtransaction", [.string(txid), false, .string(hash)]).string())
    }

    /// The confirmations of output `index` of `txid` while unspent (0 in the mempool; nil when spent or unknown).
    func confirmations(of txid: String, output index: Int = 0) async throws -> Int? {
        let answer = try await rpc.call("gettxout", [.string(txid), .integer(Int64(index)), true])
        return answer.isNull ? nil : Int(try answer.member("confirmations").integer())
    }

    /// Sets the node's clock (`setmocktime`; 0 goes back to the real clock).
    func setMockTime(_ time: UInt64) async throws {
        _ = try await rpc.call("setmocktime", [.integer(Int64(time))])
    }

    /// What the node's wallet received on `address` (confirmed at least once), in satoshis.
    func received(on address: String) async throws -> Int64 {
        let btc = try await wallet.call("getreceivedbyaddress", [.string(address), 1]).double()
        return Int64((btc * 100_000_000).rounded())
    }
}

/// Sum of `outputs`' values, in satoshis.
func satoshis(_ outputs: [TransactionOutput]) -> Int64 { outputs.reduce(0) { $0 + $1.value.satoshis } }
