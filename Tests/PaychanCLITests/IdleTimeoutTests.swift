import BitcoinPrimitives
import ChannelManager
import Foundation
import Testing

/// `paychan server --idle-timeout`, on a real server process.
@Suite("paychan server --idle-timeout", .serialized)
struct IdleTimeoutTests {
    @Test(
        "a silent connection with an open channel is closed after --idle-timeout, not before; the channel stays stored open and is resumed"
    )
    func silentConnectionClosed() async throws {
        let idle = 1.5
        let scratch = try ScratchDirectory()
        let server = try RunningServer(
            directory: scratch.path + "/server", extraArguments: ["--idle-timeout", "\(idle)"])
        defer { server.stop() }
        let client = try await HonestClient(port: server.port)
        let (session, opened) = try await client.openSession(value: 1_000_000)

        // Payments 250 ms apart, for longer than the timeout: each message resets it.
        let busyStart = ContinuousClock.now
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(250))
            try await session.pay(Amount(satoshis: 100))
        }
        #expect(ContinuousClock.now - busyStart > .seconds(idle))
        #expect(!session.isEnded, "closed though messages kept coming")

        // The last message, then silence. The server reads it after `lastSent`, so it may close
        // the connection no sooner than `lastSent + idle`.
        let lastSent = ContinuousClock.now
        try await session.pay(Amount(satoshis: 100))
        while !session.isEnded, ContinuousClock.now - lastSent < .seconds(idle + 10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let silent = ContinuousClock.now - lastSent
        print("--idle-timeout \(idle): the silent connection was closed \(silent) after its last message was sent")
        #expect(session.isEnded, "still open after \(silent) of silence")
        #expect(silent >= .seconds(idle), "closed after \(silent), before the idle timeout")
        #expect(silent < .seconds(idle + 5), "closed only after \(silent)")
        #expect(server.log.contains("idle for"), "the server's log: \(server.log.suffix(2_000))")

        // Closed for being idle, not settled: stored open, with every payment.
        let paid = 1_000 + 11 * 100  // the initial payment (the server's minimum), then eleven
        let stored = try Self.storedChannels(server)
        #expect(stored.count == 1)
        #expect(stored.first?["contract_txid"] as? String == opened.contractTxid.displayHex)
        #expect(stored.first?["state"] as? String == "open")
        #expect(stored.first?["paid_to_server"] as? Int == paid)

        // A new session reopens the same channel and pays on.
        let (again, reopened) = try await client.openSession(value: 1_000_000)
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
        try await again.pay(Amount(satoshis: 500))
        #expect(try Self.storedChannels(server).first?["paid_to_server"] as? Int == paid + 500)
        await client.shutdown()
    }

    @Test(
        "an --idle-timeout that is not a positive number of seconds is refused with a clear error",
        arguments: [("0", Int32(1)), ("-1", 1), ("nan", 1), ("2e9", 1), ("soon", 64), ("", 64)])
    func invalidValue(value: String, status: Int32) throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.path + "/server"
        let result = try PaychanProcess.run([
            "server", "--listen", "127.0.0.1:0", "--dir", directory, "--idle-timeout=\(value)",
        ])
        #expect(result.status == status, "\(result.stderr)")
        // The error names the option (and, for a number out of range, the value).
        #expect(result.stderr.contains("--idle-timeout"), "\(result.stderr)")
        if status == 1 { #expect(!result.stderr.contains("--handshake-timeout"), "\(result.stderr)") }
        #expect(!result.stdout.contains("listening"))
        #expect(!FileManager.default.fileExists(atPath: directory), "refused, yet it created its directory")
    }

    /// The server's stored channels, from `paychan channels --json` (the server keeps running).
    static func storedChannels(_ server: RunningServer) throws -> [[String: Any]] {
        let result = try PaychanProcess.run(["channels", "--dir", server.directory, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.json()["server"] as? [[String: Any]] ?? []
    }
}
