import Foundation
import PaychanTestSupport
import Testing

/// `paychan server --metrics`: the Prometheus exposition and `/healthz`, read over HTTP from a
/// real server process while clients pay through it.
@Suite("paychan server --metrics: /metrics and /healthz", .onDedicatedThreads, .serialized)
struct MetricsEndpointTests {
    /// What the clients of ``run(server:)`` did, from their own outputs.
    struct Run {
        var opened = 0
        var resumed = 0
        var settled = 0
        var paidSatoshis = 0
        var payments = 0
    }

    /// Two clients: one opens, pays 5 and closes; the other opens and pays 3, then reopens its
    /// channel and pays 4. Every payment (the one made at opening too) is 1000 sat, the server's
    /// smallest, so the payments are the satoshis acknowledged / 1000.
    static func run(server: RunningServer, scratch: ScratchDirectory) throws -> Run {
        var run = Run()
        let clients: [(dir: String, payments: Int, close: Bool)] = [
            ("a", 5, true), ("b", 3, false), ("b", 4, false),
        ]
        for client in clients {
            let result = try PaychanProcess.run(
                [
                    "client", "--server", server.address, "--dir", scratch.path + "/" + client.dir, "--channel-value",
                    "200000", "--amount", "1000", "--payments", "\(client.payments)", "--json",
                ] + (client.close ? ["--close"] : []))
            #expect(result.status == 0, "\(result.stderr)")
            let outcome = try result.json()
            let reopened = try #require(outcome["reopened"] as? Bool)
            if reopened { run.resumed += 1 } else { run.opened += 1 }
            if client.close { run.settled += 1 }
            let acked = try #require(outcome["run_acked_sats"] as? Int)
            run.paidSatoshis += acked
            run.payments += acked / 1000
        }
        return run
    }

    @Test("every counter equals what the clients did, and /healthz answers 200")
    func countersMatchTheRun() async throws {
        let scratch = try ScratchDirectory()
        let (server, endpoint) = try OperationsEndpoint.server(in: scratch)
        defer { server.stop() }
        #expect(try await endpoint.get("/healthz") == (200, "ok\n"))
        #expect(try await endpoint.get("/nothing").status == 404)
        let before = try await endpoint.scrape()
        #expect(before["paychan_server_payments_received_total"] == 0)
        #expect(before["paychan_server_channels_open"] == 0)

        let run = try Self.run(server: server, scratch: scratch)
        #expect(run.opened == 2 && run.resumed == 1 && run.settled == 1 && run.payments == 14)

        // The clients have exited; the server's side of their connections closes soon after.
        var scrape = try await endpoint.scrape()
        for _ in 0..<100 where scrape["paychan_server_connections_open"] != 0 {
            try await Task.sleep(for: .milliseconds(50))
            scrape = try await endpoint.scrape()
        }
        #expect(scrape["paychan_server_channels_opened_total"] == Double(run.opened))
        #expect(scrape["paychan_server_channels_resumed_total"] == Double(run.resumed))
        #expect(scrape["paychan_server_channels_settled_total"] == Double(run.settled))
        #expect(scrape["paychan_server_channels_refused_total"] == 0)
        #expect(scrape["paychan_server_channels_open"] == 0)
        #expect(scrape["paychan_server_payments_received_total"] == Double(run.payments))
        #expect(scrape["paychan_server_received_satoshis_total"] == Double(run.paidSatoshis))
        // Timed from their arrival: every payment but those made while a channel opens.
        #expect(scrape["paychan_server_payment_duration_seconds_count"] == Double(run.payments - run.opened))
        #expect(scrape["paychan_server_connections_accepted_total"] == 3)
        #expect(scrape["paychan_server_connections_refused_total"] == 0)
        #expect(scrape["paychan_server_connections_open"] == 0)
        // Two contracts and one settlement broadcast; nothing failed.
        #expect(scrape["paychan_chain_calls_total{call=\"broadcast\"}"] == 3)
        #expect(scrape["paychan_chain_errors_total{call=\"broadcast\"}"] == 0)
        let commits = try #require(scrape["paychan_store_commits_total{store=\"sqlite\"}"])
        #expect(commits >= Double(run.payments))
        #expect(scrape["paychan_store_commit_duration_seconds_count{store=\"sqlite\"}"] == commits)
        #expect(scrape["paychan_store_commit_failures_total{store=\"sqlite\"}"] == 0)

        // The store agrees with the counters.
        let stored = try #require(
            try PaychanProcess.run(["channels", "--dir", server.directory, "--json"]).json()["server"]
                as? [[String: Any]])
        #expect(stored.count == run.opened)
        #expect(stored.compactMap { $0["paid_to_server"] as? Int }.reduce(0, +) == run.paidSatoshis)
        #expect(server.stop() == 0)
    }

    @Test(
        "promtool check metrics accepts the exposition, scraped while a client pays",
        .enabled(
            if: MetricsScrape.promtoolInstalled || ProcessInfo.processInfo.environment["CI"] != nil,
            "promtool is not installed (Scripts/install-promtool installs it; CI always has it)"))
    func promtoolAcceptsTheExposition() async throws {
        let scratch = try ScratchDirectory()
        let (server, endpoint) = try OperationsEndpoint.server(in: scratch)
        defer { server.stop() }
        let client = Process()
        client.executableURL = PaychanProcess.binary
        client.arguments = [
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "1000000",
            "--amount", "1000", "--payments", "500",
        ]
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        var during: MetricsScrape?
        for _ in 0..<200 where during == nil {
            let scrape = try await endpoint.scrape()
            if (scrape["paychan_server_payments_received_total"] ?? 0) > 0 { during = scrape }
            try await Task.sleep(for: .milliseconds(20))
        }
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        let scrapes = [try #require(during), try await endpoint.scrape()]
        for scrape in scrapes {
            #expect(try scrape.promtoolProblems() == nil)
            // Every family has its HELP and TYPE, and every name follows the conventions.
            for line in scrape.text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                let (name, type) = (String(parts[2]), String(parts[3]))
                #expect(name.hasPrefix("paychan_"))
                #expect(name == name.lowercased())
                if type == "counter" { #expect(name.hasSuffix("_total")) }
                if type == "histogram" { #expect(name.hasSuffix("_seconds")) }
                #expect(scrape.text.contains("# HELP \(name) "))
            }
        }
    }

    @Test(
        "on PostgreSQL: the store's commits are counted and timed, and /healthz commits there",
        .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
    func postgresCommits() async throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(
            directory: scratch.path + "/server",
            extraArguments: ["--store", try PostgresStoreCLITests.freshStoreURL(), "--metrics", "127.0.0.1:0"])
        defer { server.stop() }
        let endpoint = try OperationsEndpoint(server)
        #expect(try await endpoint.get("/healthz") == (200, "ok\n"))
        let result = try PaychanProcess.run([
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "200000",
            "--amount", "1000", "--payments", "5",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let scrape = try await endpoint.scrape()
        #expect(scrape["paychan_server_payments_received_total"] == 6)
        let commits = try #require(scrape["paychan_store_commits_total{store=\"postgres\"}"])
        #expect(commits >= 6)
        #expect(scrape["paychan_store_commit_duration_seconds_count{store=\"postgres\"}"] == commits)
        #expect(scrape["paychan_store_commit_failures_total{store=\"postgres\"}"] == 0)
        #expect(scrape["paychan_store_commits_total{store=\"sqlite\"}"] == nil)
        #expect(server.stop() == 0)
    }
}
