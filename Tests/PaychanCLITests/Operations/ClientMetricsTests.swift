import Foundation
import PaychanTestSupport
import Testing

/// `paychan client --metrics`: the client's own counters, scraped while it pays.
@Suite("paychan client --metrics", .onDedicatedThreads)
struct ClientMetricsTests {
    @Test("while the client pays: its payments, satoshis and latencies add up, and promtool accepts them")
    func scrapedWhilePaying() async throws {
        // A test process starved of CPU (a full parallel run on 2 cores) may first look after the
        // client has made all its payments and closed its endpoint; then the run is made again.
        for attempt in 1...3 {
            if try await Self.scrapeOneRun() { return }
            print("paychan client --metrics: the client was done before it could be scraped (attempt \(attempt))")
        }
        Issue.record("the client was done before it could be scraped, three times")
    }

    /// One client run scraped while it pays; false when the client was done before the first scrape.
    private static func scrapeOneRun() async throws -> Bool {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        defer { server.stop() }
        let log = scratch.path + "/client.stderr"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let client = Process()
        client.executableURL = PaychanProcess.binary
        client.arguments = [
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "5000000",
            "--amount", "1000", "--payments", "3000", "--json", "--metrics", "127.0.0.1:0",
        ]
        let output = Pipe()
        client.standardOutput = output
        client.standardError = FileHandle(forWritingAtPath: log)
        try client.run()
        var address: String?
        for _ in 0..<1_000 where address == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            address = text.split(separator: "\n").first { $0.hasPrefix("paychan client: metrics on ") }
                .map { String($0.dropFirst("paychan client: metrics on ".count)) }
            if address == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let endpoint = OperationsEndpoint(address: try #require(address))
        let health: (status: UInt, body: String)
        do { health = try await endpoint.get("/healthz") } catch {
            client.waitUntilExit()
            guard client.terminationStatus == 0 else { throw error }
            return false
        }
        #expect(health.status == 200 && health.body == "ok\n")

        // Scrape until payments are under way. A scrape reads one counter after another while the
        // client pays, so its counters need not agree with each other; each only grows, and a
        // payment's satoshis and latency are counted after the payment itself, so neither can
        // pass the payments that the next scrape reads.
        var scrapes: [(payments: Double, satoshis: Double, latencies: Double)] = []
        var seen: [Double] { scrapes.map(\.payments) }
        for _ in 0..<400 where client.isRunning && (scrapes.last?.payments ?? 0) < 100 {
            guard let scrape = try? await endpoint.scrape() else { break }
            // The client's counters are made with its manager, after its endpoint is up: a scrape
            // before then (a slow start) has none of them yet, one in between not all of them.
            guard let payments = scrape["paychan_client_payments_acknowledged_total"],
                let satoshis = scrape["paychan_client_paid_satoshis_total"],
                let latencies = scrape["paychan_client_payment_duration_seconds_count"]
            else {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            #expect(satoshis.truncatingRemainder(dividingBy: 1000) == 0)
            if payments > 0 { #expect(scrape["paychan_client_channels_opened_total"] == 1) }
            if payments > 0, MetricsScrape.promtoolInstalled { #expect(try scrape.promtoolProblems() == nil) }
            scrapes.append((payments, satoshis, latencies))
            try await Task.sleep(for: .milliseconds(10))
        }
        for (earlier, later) in zip(scrapes, scrapes.dropFirst()) {
            #expect(earlier.payments <= later.payments && earlier.satoshis <= later.satoshis)
            #expect(earlier.latencies <= later.latencies)
            #expect(earlier.satoshis <= later.payments * 1000, "satoshis counted for payments not yet counted")
            #expect(earlier.latencies <= later.payments, "latencies counted for payments not yet counted")
        }
        if (seen.last ?? 0) < 100 {
            _ = output.fileHandleForReading.readDataToEndOfFile()
            client.waitUntilExit()
            // Done before 100 payments were seen: this process was starved; another run.
            if client.terminationStatus == 0 { return false }
        }
        #expect((seen.last ?? 0) >= 100, "the client's payments were never seen under way: \(seen)")

        let json = output.fileHandleForReading.readDataToEndOfFile()
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        let outcome = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let acked = try #require(outcome["run_acked_sats"] as? Int)
        #expect(acked >= 3_000 * 1_000)
        #expect(Double(acked) >= (scrapes.last?.satoshis ?? 0))
        return true
    }
}
