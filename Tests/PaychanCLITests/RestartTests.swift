import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan processes killed and restarted", .onDedicatedThreads, .serialized)
struct RestartTests {
    @Test(
        "v1 and v2: the client process is SIGKILLed mid-payments, the next run reopens and pays on",
        arguments: ["1", "2"])
    func clientKilled(version: String) throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        defer { server.stop() }
        let clientDir = scratch.path + "/client"
        let common = [
            "client", "--server", server.address, "--dir", clientDir, "--channel-value", "1000000", "--protocol",
            version,
        ]
        let doomed = Process()
        doomed.executableURL = PaychanProcess.binary
        doomed.arguments = common + ["--payments", "1000000", "--amount", "1"]
        doomed.standardOutput = FileHandle.nullDevice
        doomed.standardError = FileHandle.nullDevice
        try doomed.run()
        // Let it open the channel and pay for a while, then kill it without warning.
        var opened = false
        for _ in 0..<200 where !opened {
            Thread.sleep(forTimeInterval: 0.05)
            opened =
                (try? PaychanProcess.run(["channels", "--dir", clientDir, "--json"]).json())
                .flatMap { ($0["client"] as? [[String: Any]])?.first?["state"] as? String } == "open"
        }
        #expect(opened)
        Thread.sleep(forTimeInterval: 0.3)
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        #expect(doomed.terminationReason == .uncaughtSignal)
        #expect(doomed.terminationStatus == SIGKILL)

        let again = try PaychanProcess.run(common + ["--payments", "5", "--amount", "100", "--close", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let outcome = try again.json()
        #expect(outcome["reopened"] as? Bool == true)
        #expect(outcome["protocol"] as? Int == Int(version))
        #expect(outcome["run_acked_sats"] as? Int == 500)
        let signed = try #require(outcome["channel_signed_sats"] as? Int)
        // This run acknowledged its payments; the channel's total counts the killed run's too.
        #expect(outcome["channel_acked_sats"] as? Int == signed)
        let serverList = try #require(
            try PaychanProcess.run(["channels", "--dir", server.directory, "--json"]).json()["server"]
                as? [[String: Any]])
        let paidToServer = try #require(serverList.first?["paid_to_server"] as? Int)
        // The server has everything the client signed: the killed run's last payment was either
        // acknowledged or re-signed by the next one.
        #expect(paidToServer == signed)
        #expect(serverList.first?["state"] as? String == "settled")
    }

    @Test("the server restarts between payments on the same port; the client reopens the channel")
    func serverRestarts() throws {
        let scratch = try ScratchDirectory()
        // A port below the ephemeral range, free again for the restart below (see LoopbackPort).
        let first = try RunningServer(
            directory: scratch.path + "/server", listen: "127.0.0.1:\(try LoopbackPort.belowEphemeralRange())")
        let listen = first.address
        let clientDir = scratch.path + "/client"
        let common = ["client", "--server", listen, "--dir", clientDir, "--channel-value", "400000"]
        let before = try PaychanProcess.run(common + ["--payments", "3", "--amount", "2000", "--json"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(first.stop() == 0)

        let second = try RunningServer(directory: scratch.path + "/server", listen: listen)
        defer { second.stop() }
        let after = try PaychanProcess.run(common + ["--payments", "2", "--amount", "2000", "--close", "--json"])
        #expect(after.status == 0, "\(after.stderr)")
        let outcome = try after.json()
        #expect(outcome["reopened"] as? Bool == true)
        #expect(outcome["contract_txid"] as? String == (try before.json()["contract_txid"] as? String))
        #expect(outcome["run_acked_sats"] as? Int == 4_000)
        #expect(outcome["channel_acked_sats"] as? Int == 11_000)
        #expect(outcome["channel_signed_sats"] as? Int == 11_000)
        #expect(outcome["settlement"] is [String: Any])
    }
}
