import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanTestSupport
import Testing

/// Two `paychan` processes on a real regtest `bitcoind` (run when `PAYCHAN_BITCOIND` names one).
@Suite("paychan server and client on a real bitcoind", .onDedicatedThreads, .enabled(if: LiveNode.enabled), .serialized)
struct LiveEndToEndTests {
    static let funding: Int64 = 10_000_000
    static let channelValue: Int64 = 1_000_000
    static let amount: Int64 = 500
    static let payments = 1_000

    @Test(
        "fund by mining to the client's address, open, 1,000 payments, close, mine; balances to the satoshi; the server pays its earnings out",
        arguments: [1, 2])
    func channelLife(version: Int) async throws {
        try await LiveNode.with { node in try await channelLife(version: version, node: node) }
    }

    private func channelLife(version: Int, node: LiveNode) async throws {
        let scratch = try ScratchDirectory()
        let clientDir = scratch.path + "/client"
        let serverDir = scratch.path + "/server"

        // The client's wallet is paid by a coinbase, mature after 100 more blocks.
        let address = try PaychanProcess.run(["wallet", "address", "--dir", clientDir, "--json"])
        #expect(address.status == 0, "\(address.stderr)")
        let clientAddress = try #require(try address.json()["address"] as? String)
        let (coinbase, funding) = try await node.fundByCoinbase(clientAddress)
        #expect(funding == 5_000_000_000)

        let server = try RunningServer(directory: serverDir, extraArguments: node.chainArguments)
        defer { server.stop() }
        let started = ContinuousClock.now
        let client = try PaychanProcess.run(
            [
                "client", "--server", server.address, "--dir", clientDir, "--channel-value", "\(Self.channelValue)",
                "--amount", "\(Self.amount)", "--payments", "\(Self.payments)", "--protocol", "\(version)", "--close",
                "--json",
            ] + node.chainArguments)
        let clientSeconds = (ContinuousClock.now - started).seconds
        #expect(client.status == 0, "\(client.stderr)")
        let outcome = try client.json()
        #expect(outcome["protocol"] as? Int == version)
        let paid = try #require(outcome["run_acked_sats"] as? Int64)
        #expect(paid == outcome["channel_signed_sats"] as? Int64)
        #expect(paid >= Int64(Self.payments) * Self.amount)
        let figures = try #require(outcome["node"] as? [String: Any])
        // A payment costs no request to the node.
        #expect(figures["backend_requests_during_payments"] as? Int == 0)
        let contractTxid = try #require(outcome["contract_txid"] as? String)
        let settlementTxid = try #require((outcome["settlement"] as? [String: Any])?["txid"] as? String)

        // The contract and the settlement wait in the mempool; one block confirms both.
        let mempool = try await node.mempool()
        #expect(mempool.contains(contractTxid) && mempool.contains(settlementTxid))
        let mining = ContinuousClock.now
        let block = try #require(try await node.mine(1).first)
        let mined = (ContinuousClock.now - mining).seconds
        #expect(try await node.confirmations(of: settlementTxid) == 1)
        let contract = try await node.transaction(contractTxid, inBlock: block)
        let settlement = try await node.transaction(settlementTxid, inBlock: block)
        #expect(contract.inputs.map(\.previousOutput.txid.displayHex) == [coinbase])
        #expect(contract.outputs[0].value.satoshis == Self.channelValue)
        let contractFee = funding - satoshis(contract.outputs)
        let settlementFee = Self.channelValue - satoshis(settlement.outputs)
        #expect(contractFee > 0 && settlementFee > 0)
        // The client gets back exactly what it did not pay; the server its payments less the fee.
        #expect(settlement.outputs.contains { $0.value.satoshis == Self.channelValue - paid })
        // While the server runs, its directory's balance is what the server's follower stored; a
        // send waits for the server to stop.
        try await eventually("the running server's wallet holds the settlement's output") {
            try balance(serverDir, node)["confirmed"] == paid - settlementFee
        }
        let seen = (ContinuousClock.now - mining).seconds
        let busy = try PaychanProcess.run(
            ["wallet", "send", "--dir", serverDir, "--to", node.minerAddress, "--all"] + node.chainArguments)
        #expect(busy.status == 1, "\(busy.stderr)")
        #expect(busy.stderr.contains("stop it first"), "\(busy.stderr)")
        #expect(server.stop() == 0)
        let requests = server.log.split(separator: "\n").first { $0.contains("bitcoind requests:") } ?? "?"

        let clientBalance = try balance(clientDir, node)
        #expect(
            clientBalance == [
                "confirmed": funding - contractFee - paid, "unconfirmed": 0, "locked_in_channels": 0, "immature": 0,
            ])
        let serverBalance = try balance(serverDir, node)
        #expect(
            serverBalance == [
                "confirmed": paid - settlementFee, "unconfirmed": 0, "locked_in_channels": 0, "immature": 0,
            ])

        // The server's earnings go to the node's wallet.
        let destination = try await node.wallet.call("getnewaddress").string()
        let send = try PaychanProcess.run(
            ["wallet", "send", "--dir", serverDir, "--to", destination, "--all", "--json"] + node.chainArguments)
        #expect(send.status == 0, "\(send.stderr)")
        let sendFee = try #require(try send.json()["fee"] as? Int64)
        try await node.mine(1)
        #expect(try await node.received(on: destination) == paid - settlementFee - sendFee)
        #expect(
            try balance(serverDir, node) == ["confirmed": 0, "unconfirmed": 0, "locked_in_channels": 0, "immature": 0])

        print(
            "live v\(version): open \(figures["open_seconds"] ?? "?") s (funding and broadcast included), "
                + "\(Self.payments) payments in \(figures["payments_seconds"] ?? "?") s, requests to the node during them: "
                + "\(figures["backend_requests_during_payments"] ?? "?") by the managers, "
                + "\(figures["follower_requests_during_payments"] ?? "?") by the follower's polls; "
                + "client process \(clientSeconds) s; settlement broadcast -> mined in \(mined) s (generatetoaddress 1), in the running server's wallet (its follower polling every 0.2 s, read by a `paychan wallet balance` process) \(seen) s after; "
                + "contract fee \(contractFee), settlement fee \(settlementFee), send fee \(sendFee) sat; "
                + "server: \(requests.split(separator: "]").last ?? "")")
    }

    @Test("refusals before anything is signed: a wrong-network address (1), too little money (4), no node (2)")
    func walletRefusals() async throws {
        try await LiveNode.with { node in try await walletRefusals(node: node) }
    }

    private func walletRefusals(node: LiveNode) async throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path + "/wallet"
        let address = try PaychanProcess.run(["wallet", "address", "--dir", dir])
        try await node.send(100_000, to: address.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        try await node.mine(1)
        let testnet = Address.p2wpkh(
            publicKey: try PrivateKey(secretBytes: [UInt8](repeating: 3, count: 32)).publicKey,
            network: .testnet)
        let wrongNetwork = try PaychanProcess.run(
            ["wallet", "send", "--dir", dir, "--to", testnet.string, "--amount", "1000"] + node.chainArguments)
        #expect(wrongNetwork.status == 1, "\(wrongNetwork.stderr)")
        #expect(wrongNetwork.stderr.contains("not an address of regtest"))
        let destination = try await node.wallet.call("getnewaddress").string()
        let tooMuch = try PaychanProcess.run(
            ["wallet", "send", "--dir", dir, "--to", destination, "--amount", "100001"] + node.chainArguments)
        #expect(tooMuch.status == 4, "\(tooMuch.stderr)")
        #expect(try balance(dir, node)["confirmed"] == 100_000)
        let unreachable = try PaychanProcess.run([
            "wallet", "balance", "--dir", dir, "--chain", "bitcoind", "--network", "regtest", "--bitcoind-rpc",
            "http://127.0.0.1:\(try freePort())", "--bitcoind-cookie", node.process.cookiePath, "--bitcoind-wait", "1",
        ])
        #expect(unreachable.status == 2, "\(unreachable.stderr)")
        let wrongChain = try PaychanProcess.run(
            ["wallet", "balance", "--dir", dir] + node.chainArguments.map { $0 == "regtest" ? "signet" : $0 })
        #expect(wrongChain.status == 1, "\(wrongChain.stderr)")
    }

    @Test(
        "the node stopped during payments: they go on (none needs the node), a new run waits then fails with status 2, and after the restart the channel is reopened, paid and settled with every acknowledged payment"
    )
    func nodeStoppedDuringPayments() async throws {
        try await LiveNode.with { node in try await nodeStoppedDuringPayments(node: node) }
    }

    private func nodeStoppedDuringPayments(node: LiveNode) async throws {
        let scratch = try ScratchDirectory()
        let clientDir = scratch.path + "/client"
        let serverDir = scratch.path + "/server"
        let address = try PaychanProcess.run(["wallet", "address", "--dir", clientDir])
        let (_, funding) = try await node.fundByCoinbase(address.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let server = try RunningServer(directory: serverDir, extraArguments: node.chainArguments)
        defer { server.stop() }
        let paying = [
            "client", "--server", server.address, "--dir", clientDir, "--channel-value", "\(Self.channelValue)",
            "--amount", "\(Self.amount)",
        ]
        let first = try StreamingProcess(
            paying + ["--payments", "\(Self.payments)", "--progress"] + node.chainArguments,
            stderrFile: scratch.path + "/first.stderr")
        #expect(await first.waitForLines(startingWith: "paid ", count: 100), "\(first.stderr)")
        await node.halt()
        let paidWhenStopped = first.lines.count { $0.hasPrefix("paid ") }
        #expect(await first.wait() == 0, "\(first.stderr)")
        let contractTxid = try #require(first.lines.first { $0.hasPrefix("opened ") }?.split(separator: " ")[1])
        // `paid TXID ACKED` per acknowledged payment: every one was made, most with the node down.
        let paidLines = first.lines.filter { $0.hasPrefix("paid \(contractTxid) ") }
        #expect(paidLines.count == Self.payments)
        let acked = try #require(paidLines.last.flatMap { $0.split(separator: " ").last }.flatMap { Int64($0) })

        // The client's index watches its contract (as its own, and output 0), so a settlement
        // in a block is known to it even though the node keeps no record of the spent output.
        let store = try SQLiteChannelStore(
            path: clientDir + "/channels.sqlite", clock: SystemClock(), readOnly: true)
        let index = try await store.chainIndex()
        store.close()
        let contractID = try #require(Hash256(displayHex: String(contractTxid)))
        #expect(index.transactions[contractID]?.ownTransaction?.txid == contractID)
        #expect(index.outpoints[OutPoint(txid: contractID, index: 0)] != nil)

        // With the node down, a new run cannot start: it says so, with status 2.
        let refused = try PaychanProcess.run(
            paying + ["--payments", "10", "--close"] + node.chainArguments + ["--bitcoind-wait", "1"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("cannot reach bitcoind"), "\(refused.stderr)")

        try await node.process.launch()
        let second = try PaychanProcess.run(paying + ["--payments", "10", "--close", "--json"] + node.chainArguments)
        #expect(second.status == 0, "\(second.stderr)")
        let outcome = try second.json()
        #expect(outcome["reopened"] as? Bool == true)
        #expect(outcome["contract_txid"] as? String == String(contractTxid))
        let paid = acked + 10 * Self.amount
        #expect(outcome["run_acked_sats"] as? Int64 == 10 * Self.amount)
        #expect(outcome["channel_signed_sats"] as? Int64 == paid)
        let settlementTxid = try #require((outcome["settlement"] as? [String: Any])?["txid"] as? String)
        let block = try #require(try await node.mine(1).first)
        let settlement = try await node.transaction(settlementTxid, inBlock: block)
        #expect(settlement.outputs.contains { $0.value.satoshis == Self.channelValue - paid })
        let settlementFee = Self.channelValue - satoshis(settlement.outputs)
        let contract = try await node.transaction(String(contractTxid), inBlock: block)
        let contractFee = funding - satoshis(contract.outputs)
        server.stop()
        #expect(try balance(serverDir, node)["confirmed"] == paid - settlementFee)
        #expect(try balance(clientDir, node)["confirmed"] == funding - contractFee - paid)
        print(
            "node stopped after \(paidWhenStopped) of \(Self.payments) payments; all acknowledged; \(paid) sat settled")
    }

    @Test(
        "a recent --birthday reads the blocks since (an old one scans the UTXO set); --min-confirmations keeps a coin from funding a contract until it is that deep"
    )
    func birthdayAndConfirmationDepth() async throws {
        try await LiveNode.with { node in try await birthdayAndConfirmationDepth(node: node) }
    }

    private func birthdayAndConfirmationDepth(node: LiveNode) async throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path + "/client"
        let address = try PaychanProcess.run(["wallet", "address", "--dir", dir])
        let birthday = try await node.height()
        try await node.send(300_000, to: address.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        try await node.mine(1)
        let deep = node.chainArguments + ["--birthday", "\(birthday)", "--min-confirmations", "3"]
        let shallow = try PaychanProcess.run(["wallet", "balance", "--dir", dir, "--json"] + deep)
        #expect(shallow.status == 0, "\(shallow.stderr)")
        #expect(!shallow.stderr.contains("scantxoutset"), "\(shallow.stderr)")
        #expect(
            (try shallow.json() as? [String: Int64]) == [
                "confirmed": 0, "unconfirmed": 300_000, "locked_in_channels": 0, "immature": 0,
            ])

        let server = try RunningServer(directory: scratch.path + "/server", extraArguments: node.chainArguments)
        defer { server.stop() }
        let open = [
            "client", "--server", server.address, "--dir", dir, "--channel-value", "200000", "--amount", "1000",
            "--payments", "1",
        ]
        let early = try PaychanProcess.run(open + deep)
        #expect(early.status == 4, "\(early.stderr)")
        try await node.mine(2)
        let late = try PaychanProcess.run(open + deep + ["--json"])
        #expect(late.status == 0, "\(late.stderr)")
        #expect(try late.json()["run_acked_sats"] as? Int64 == 2_000)

        // Another directory, paid before its first start, with a birthday more than 144 blocks
        // past: a scan finds the coin.
        let other = scratch.path + "/other"
        try await node.mine(max(0, 150 - (try await node.height())))
        let otherAddress = try PaychanProcess.run(["wallet", "address", "--dir", other])
        try await node.send(50_000, to: otherAddress.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        try await node.mine(1)
        let scanned = try PaychanProcess.run(
            ["wallet", "balance", "--dir", other, "--json", "--birthday", "0"] + node.chainArguments)
        #expect(scanned.status == 0, "\(scanned.stderr)")
        #expect(scanned.stderr.contains("scantxoutset found 1 coins (50000 sat)"), "\(scanned.stderr)")
        #expect((try scanned.json() as? [String: Int64])?["confirmed"] == 50_000)
    }

    /// `paychan wallet balance --json` of `dir` on `node`.
    private func balance(_ dir: String, _ node: LiveNode) throws -> [String: Int64] {
        let result = try PaychanProcess.run(["wallet", "balance", "--dir", dir, "--json"] + node.chainArguments)
        #expect(result.status == 0, "\(result.stderr)")
        return (try result.json() as? [String: Int64]) ?? [:]
    }
}

/// A loopback port nothing listens on (at the time of the call).
func freePort() throws -> Int { try BitcoindProcess.freeLoopbackPort() }

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
