import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanTestSupport
import Testing

/// `paychan server --idle-timeout`, on a real server process.
@Suite("paychan server --idle-timeout", .onDedicatedThreads, .serialized)
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
        let connection = try await IdleConnection(port: server.port, idle: .seconds(idle))

        // Payments 100 ms apart, for longer than the timeout: each message resets it. (A
        // connection the server closes meanwhile must have been silent for the timeout: this
        // process stalled. Then it reopens and the stretch starts over.)
        while ContinuousClock.now - connection.openedAt < .seconds(idle + 1) {
            try await Task.sleep(for: .milliseconds(100))
            try await connection.pay()
        }
        #expect(!connection.session.isEnded, "closed though messages kept coming")

        // The last message, then silence. The server reads it after `lastSent`, so it may close
        // the connection no sooner than `lastSent + idle`.
        while try await !connection.pay() {}
        let lastSent = connection.lastSent
        while !connection.session.isEnded, ContinuousClock.now - lastSent < .seconds(idle + 20) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let silent = ContinuousClock.now - lastSent
        print("--idle-timeout \(idle): the silent connection was closed \(silent) after its last message was sent")
        #expect(connection.session.isEnded, "still open after \(silent) of silence")
        #expect(silent >= .seconds(idle), "closed after \(silent), before the idle timeout")
        #expect(silent < .seconds(idle + 10), "closed only after \(silent)")
        #expect(server.log.contains("idle for"), "the server's log: \(server.log.suffix(2_000))")

        // Closed for being idle, not settled: stored open, with every acknowledged payment. A
        // payment the server closed on (after a stall) may be stored without its ack.
        let paid = 1_000 + connection.payments * 100  // the initial payment (the server's minimum), then 100s
        let signed = paid + connection.unacknowledged * 100
        let stored = try Self.storedChannels(server)
        #expect(stored.count == 1)
        #expect(stored.first?["contract_txid"] as? String == connection.contractTxid.displayHex)
        #expect(stored.first?["state"] as? String == "open")
        let storedPaid = stored.first?["paid_to_server"] as? Int ?? -1
        #expect((paid...signed).contains(storedPaid), "stored \(storedPaid), acknowledged \(paid), signed \(signed)")

        // A new session reopens the same channel and pays on: once acknowledged, the server holds
        // exactly what the client last signed.
        // (A stall past the idle timeout between the reopen and its payment closes that session
        // too; then the channel is reopened again.)
        var attempts = 0
        var again: ClientSession
        while true {
            attempts += 1
            let (session, reopened) = try await connection.client.openSession(value: IdleConnection.value)
            #expect(reopened.resumed)
            #expect(reopened.contractTxid == connection.contractTxid)
            again = session
            do {
                try await again.pay(Amount(satoshis: 500))
                break
            } catch {
                await again.waitUntilEnded()
                print("this process stalled after reopening; the server closed the session (\(error)), reopening")
                guard attempts < 5 else { throw error }
            }
        }
        let signedNow = IdleConnection.value - (again.record?.valueLeft.satoshis ?? IdleConnection.value)
        let storedNow = try Self.storedChannels(server).first?["paid_to_server"] as? Int
        #expect(storedNow == Int(signedNow))
        #expect(storedNow ?? 0 >= paid + 500)
        await connection.client.shutdown()
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

/// An honest client's channel to the server under test, paid on, that checks every close it
/// sees came after the idle timeout without a message, and reopens the channel then.
final class IdleConnection {
    static let value: Int64 = 1_000_000
    let client: HonestClient
    let idle: Duration
    let contractTxid: Hash256
    private(set) var session: ClientSession
    /// When the current session was opened (or reopened).
    private(set) var openedAt: ContinuousClock.Instant
    /// A time no later than the client's last message to the server.
    private(set) var lastSent: ContinuousClock.Instant
    /// Payments of 100 sat the server acknowledged.
    private(set) var payments = 0
    /// How many times the server closed the connection while payments were being made.
    private(set) var reopenings = 0
    /// Payments of 100 sat sent (durable in the client's store first) whose ack never came: the
    /// server may or may not have stored them.
    private(set) var unacknowledged = 0

    init(port: Int, idle: Duration) async throws {
        self.idle = idle
        client = try await HonestClient(port: port)
        openedAt = .now
        lastSent = openedAt
        let (session, opened) = try await client.openSession(value: Self.value)
        self.session = session
        contractTxid = opened.contractTxid
    }

    /// Pays 100 sat: true once acknowledged. False when the server had closed the connection,
    /// having checked that this client had then sent nothing for the idle timeout (this
    /// process stalled) and reopened the channel on a new connection.
    @discardableResult
    func pay() async throws -> Bool {
        let sending = ContinuousClock.now
        do {
            try await session.pay(Amount(satoshis: 100))
        } catch {
            await session.waitUntilEnded()
            let silent = ContinuousClock.now - lastSent
            #expect(silent >= idle, "closed after only \(silent) without a message: \(error)")
            print("this process stalled for \(silent): the server closed the connection; reopening")
            reopenings += 1
            unacknowledged += 1
            guard reopenings <= 5 else { throw error }
            openedAt = .now
            lastSent = openedAt
            let (session, reopened) = try await client.openSession(value: Self.value)
            #expect(reopened.resumed)
            #expect(reopened.contractTxid == contractTxid)
            self.session = session
            return false
        }
        lastSent = sending
        payments += 1
        return true
    }
}
