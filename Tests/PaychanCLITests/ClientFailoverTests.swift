import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan client --server with several addresses, and --server-id", .onDedicatedThreads, .serialized)
struct ClientFailoverTests {
    @Test("a dead address is passed over; the channel is stored under the --server text unless --server-id names it")
    func failoverAndIdentity() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        defer { server.stop() }
        let dead = "127.0.0.1:\(try LoopbackPort.belowEphemeralRange())"
        let list = "\(dead),\(server.address)"
        let common = ["client", "--dir", scratch.path + "/client", "--channel-value", "200000", "--amount", "1000"]

        let opened = try PaychanProcess.run(common + ["--server", list, "--payments", "2", "--json"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stderr.contains("\(dead) did not open a channel"))
        let txid = try #require(try opened.json()["contract_txid"] as? String)

        // Another --server text is another server identity: a new channel.
        let elsewhere = try PaychanProcess.run(common + ["--server", server.address, "--json"])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(try elsewhere.json()["reopened"] as? Bool == false)
        #expect(try elsewhere.json()["contract_txid"] as? String != txid)

        // The same address under the first run's name: the first channel.
        let named = try PaychanProcess.run(
            common + ["--server", server.address, "--server-id", list, "--close", "--json"])
        #expect(named.status == 0, "\(named.stderr)")
        let outcome = try named.json()
        #expect(outcome["reopened"] as? Bool == true)
        #expect(outcome["contract_txid"] as? String == txid)
        #expect(outcome["channel_signed_sats"] as? Int == 4_000)
        #expect(outcome["settlement"] is [String: Any])
    }

    @Test("every address dead: exit status 2 and each named; a malformed list: exit status 1")
    func failures() throws {
        let scratch = try ScratchDirectory()
        let dead = [
            "127.0.0.1:\(try LoopbackPort.belowEphemeralRange())",
            "127.0.0.1:\(try LoopbackPort.belowEphemeralRange())",
        ]
        let common = ["client", "--dir", scratch.path, "--channel-value", "200000", "--amount", "1000"]
        let unreachable = try PaychanProcess.run(common + ["--server", dead.joined(separator: ",")])
        #expect(unreachable.status == 2, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot reach \(dead[0]),\(dead[1])"))
        #expect(unreachable.stderr.contains("\(dead[0]): cannot connect"))
        #expect(unreachable.stderr.contains("\(dead[1]): cannot connect"))
        let channels = try PaychanProcess.run(["channels", "--dir", scratch.path, "--json"]).json()
        #expect((channels["client"] as? [Any])?.isEmpty == true)

        for malformed in ["\(dead[0]),", "\(dead[0]),nowhere"] {
            let refused = try PaychanProcess.run(common + ["--server", malformed])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("HOST:PORT,HOST:PORT"))
        }
        let emptyName = try PaychanProcess.run(common + ["--server", dead[0], "--server-id", ""])
        #expect(emptyName.status == 1, "\(emptyName.stderr)")
        #expect(emptyName.stderr.contains("--server-id"))
    }
}
