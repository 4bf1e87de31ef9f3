import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan server and paychan client as real processes", .onDedicatedThreads, .serialized)
struct ServerClientTests {
    @Test("open, pay, reopen, close; channels lists both roles; the tx log has every broadcast")
    func payReopenClose() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(
            directory: scratch.path + "/server", extraArguments: ["--tx-log", scratch.path + "/tx.log"])
        defer { server.stop() }
        let clientDir = scratch.path + "/client"
        let common = ["client", "--server", server.address, "--dir", clientDir, "--channel-value", "300000"]

        let first = try PaychanProcess.run(common + ["--payments", "10", "--amount", "2000", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let opened = try first.json()
        #expect(opened["reopened"] as? Bool == false)
        #expect(opened["protocol"] as? Int == 2)
        #expect(opened["run_acked_sats"] as? Int == 21_000)
        #expect(opened["channel_acked_sats"] as? Int == 21_000)
        #expect(opened["channel_signed_sats"] as? Int == 21_000)
        #expect(opened["settlement"] is NSNull)

        // Reopened without paying: this run acknowledged nothing, and the channel's acknowledged
        // total is not known to it (what it signed is).
        let idle = try PaychanProcess.run(common + ["--payments", "0", "--amount", "1000", "--json"]).json()
        #expect(idle["reopened"] as? Bool == true)
        #expect(idle["run_acked_sats"] as? Int == 0)
        #expect(idle["channel_acked_sats"] is NSNull)
        #expect(idle["channel_signed_sats"] as? Int == 21_000)

        let second = try PaychanProcess.run(
            common + ["--payments", "3", "--amount", "1000", "--info", "tea", "--close", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let closed = try second.json()
        #expect(closed["reopened"] as? Bool == true)
        #expect(closed["contract_txid"] as? String == opened["contract_txid"] as? String)
        #expect(closed["run_acked_sats"] as? Int == 3_000)
        #expect(closed["channel_acked_sats"] as? Int == 24_000)
        #expect(closed["channel_signed_sats"] as? Int == 24_000)
        // The deprecated names keep their old meanings.
        #expect(closed["paid_acked"] as? Int == 3_000)
        #expect(closed["paid_signed"] as? Int == 24_000)
        let help = try PaychanProcess.run(["client", "--help"]).stdout
        for name in ["run_acked_sats", "channel_acked_sats", "channel_signed_sats"] {
            #expect(help.contains(name), "--help names \(name)")
        }
        let settlement = try #require(closed["settlement"] as? [String: Any])
        let settlementHex = try #require(settlement["hex"] as? String)

        let serverChannels = try PaychanProcess.run(["channels", "--dir", server.directory, "--json"]).json()
        let serverList = try #require(serverChannels["server"] as? [[String: Any]])
        #expect(serverList.count == 1)
        #expect(serverList.first?["state"] as? String == "settled")
        #expect(serverList.first?["paid_to_server"] as? Int == 24_000)
        let clientChannels = try PaychanProcess.run(["channels", "--dir", clientDir, "--json"]).json()
        let clientList = try #require(clientChannels["client"] as? [[String: Any]])
        #expect(clientList.first?["value_left"] as? Int == 276_000)

        #expect(server.stop() == 0)
        let txLog = try String(contentsOfFile: scratch.path + "/tx.log", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(txLog.count == 2)  // the contract and the settlement
        #expect(txLog.last == settlementHex)
    }

    @Test("an operator closes a stopped server's open channel by hand")
    func closeByHand() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        let paid = try PaychanProcess.run([
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "200000",
            "--payments", "4", "--amount", "5000", "--json",
        ])
        #expect(paid.status == 0, "\(paid.stderr)")
        let txid = try #require(try paid.json()["contract_txid"] as? String)
        #expect(server.stop() == 0)
        #expect(server.log.contains("open channels stay stored"))

        let closed = try PaychanProcess.run(["close", "--dir", server.directory, txid, "--json"])
        #expect(closed.status == 0, "\(closed.stderr)")
        let result = try closed.json()
        #expect(result["contract_txid"] as? String == txid)
        #expect(result["paid_to_server"] as? Int == 21_000)
        let again = try PaychanProcess.run(["close", "--dir", server.directory, txid])
        #expect(again.status != 0)
        #expect(again.stderr.contains("settled"))
    }

    @Test("clear errors and exit codes: bad arguments, unreachable server, refused terms")
    func failures() throws {
        let scratch = try ScratchDirectory()
        let badAmount = try PaychanProcess.run([
            "client", "--server", "127.0.0.1:1", "--dir", scratch.path, "--channel-value", "0", "--amount", "1",
        ])
        #expect(badAmount.status == 1)
        #expect(badAmount.stderr.contains("--channel-value"))
        let badAddress = try PaychanProcess.run([
            "client", "--server", "nowhere", "--dir", scratch.path, "--channel-value", "100000", "--amount", "1",
        ])
        #expect(badAddress.status == 1)
        #expect(badAddress.stderr.contains("HOST:PORT"))

        let unreachable = try PaychanProcess.run([
            "client", "--server", "127.0.0.1:1", "--dir", scratch.path + "/c1", "--channel-value", "100000",
            "--amount", "1000",
        ])
        #expect(unreachable.status == 2, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot reach"))

        // A server asking more per payment than a bitcoinj client accepts: the client refuses.
        let greedy = try RunningServer(directory: scratch.path + "/greedy", extraArguments: ["--min-payment", "5000"])
        defer { greedy.stop() }
        let refused = try PaychanProcess.run([
            "client", "--server", greedy.address, "--dir", scratch.path + "/c2", "--channel-value", "200000",
            "--amount", "1000",
        ])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("MIN_PAYMENT_TOO_LARGE"))

        // A server that wants bigger channels than we offer.
        let big = try RunningServer(directory: scratch.path + "/big", extraArguments: ["--min-channel", "5000000"])
        defer { big.stop() }
        let tooSmall = try PaychanProcess.run([
            "client", "--server", big.address, "--dir", scratch.path + "/c3", "--channel-value", "200000",
            "--amount", "1000",
        ])
        #expect(tooSmall.status == 4, "\(tooSmall.stderr)")
    }
}
