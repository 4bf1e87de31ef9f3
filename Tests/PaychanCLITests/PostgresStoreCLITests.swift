import Foundation
import PaychanTestSupport
import Testing

/// `paychan server`, `channels` and `close` with `--store postgres://…`: real processes on the
/// database `PAYCHAN_POSTGRES_URL` names (skipped without), each test in a schema of its own.
@Suite(
    "paychan with its channels in PostgreSQL", .onDedicatedThreads, .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
struct PostgresStoreCLITests {
    /// The test database's URL with a fresh schema.
    static func freshStoreURL() throws -> String {
        let base = try #require(ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"])
        let schema = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return base + (base.contains("?") ? "&" : "?") + "schema=" + schema
    }

    @Test("a server on PostgreSQL: pay, restart, reopen, close; channels --store lists what it holds")
    func payRestartReopenClose() throws {
        let scratch = try ScratchDirectory()
        let store = try Self.freshStoreURL()
        let serverDir = scratch.path + "/server"
        var server = try RunningServer(directory: serverDir, extraArguments: ["--store", store])
        let clientDir = scratch.path + "/client"
        func client(_ extra: [String]) throws -> PaychanProcess.Result {
            try PaychanProcess.run(
                [
                    "client", "--server", server.address, "--server-id", "pg-node", "--dir", clientDir,
                    "--channel-value", "300000",
                ]
                    + extra)
        }
        let first = try client(["--payments", "10", "--amount", "2000", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let opened = try first.json()
        #expect(opened["run_acked_sats"] as? Int == 21_000)
        let txid = try #require(opened["contract_txid"] as? String)
        #expect(server.stop() == 0)
        // The seed stays in the directory; the channels are in the database, not in a file.
        #expect(FileManager.default.fileExists(atPath: serverDir + "/seed"))
        #expect(!FileManager.default.fileExists(atPath: serverDir + "/channels.sqlite"))

        let listed = try PaychanProcess.run(["channels", "--store", store, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let open = try #require(try listed.json()["server"] as? [[String: Any]])
        #expect(open.count == 1)
        #expect(open.first?["contract_txid"] as? String == txid)
        #expect(open.first?["state"] as? String == "open")
        #expect(open.first?["paid_to_server"] as? Int == 21_000)

        // A new server process (on another port) with the same database and seed serves the
        // stored channel; the client knows it by its --server-id.
        server = try RunningServer(directory: serverDir, extraArguments: ["--store", store])
        defer { server.stop() }
        let second = try client(["--payments", "3", "--amount", "1000", "--close", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let closed = try second.json()
        #expect(closed["reopened"] as? Bool == true)
        #expect(closed["contract_txid"] as? String == txid)
        #expect(closed["channel_signed_sats"] as? Int == 24_000)
        #expect(server.stop() == 0)

        let after = try #require(
            try PaychanProcess.run(["channels", "--store", store, "--json"]).json()["server"] as? [[String: Any]])
        #expect(after.first?["state"] as? String == "settled")
        #expect(after.first?["paid_to_server"] as? Int == 24_000)
    }

    @Test("close --store settles a stopped server's channel from the database, with the directory's seed")
    func closeByHand() throws {
        let scratch = try ScratchDirectory()
        let store = try Self.freshStoreURL()
        let server = try RunningServer(directory: scratch.path + "/server", extraArguments: ["--store", store])
        let paid = try PaychanProcess.run([
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "200000",
            "--payments", "4", "--amount", "5000", "--json",
        ])
        #expect(paid.status == 0, "\(paid.stderr)")
        let txid = try #require(try paid.json()["contract_txid"] as? String)
        #expect(server.stop() == 0)

        let closed = try PaychanProcess.run(["close", "--dir", server.directory, "--store", store, txid, "--json"])
        #expect(closed.status == 0, "\(closed.stderr)")
        #expect(try closed.json()["paid_to_server"] as? Int == 21_000)
        let again = try PaychanProcess.run(["close", "--dir", server.directory, "--store", store, txid])
        #expect(again.status != 0)
        #expect(again.stderr.contains("settled"))
    }

    @Test("a bad or unreachable --store is a clear error, not a crash")
    func badStores() throws {
        let scratch = try ScratchDirectory()
        let notURL = try PaychanProcess.run(["channels", "--store", scratch.path + "/x.sqlite"])
        #expect(notURL.status == 1)
        #expect(notURL.stderr.contains("postgres://"))
        let both = try PaychanProcess.run(["channels", "--dir", scratch.path, "--store", try Self.freshStoreURL()])
        #expect(both.status == 1)
        let unreachable = try PaychanProcess.run(["channels", "--store", "postgres://nobody@127.0.0.1:1/none"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot"))
        let server = try PaychanProcess.run([
            "server", "--listen", "127.0.0.1:0", "--dir", scratch.path + "/server", "--store",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        #expect(server.status != 0)
        #expect(server.stderr.contains("cannot open"))
    }
}
