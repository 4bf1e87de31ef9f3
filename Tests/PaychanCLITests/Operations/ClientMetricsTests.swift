import Foundation
import Testing

/// `paychan client --metrics`: the client's own counters, scraped while it pays.
@Suite("paychan client --metrics")
struct ClientMetricsTests {
    @Test("while the client pays: its payments, satoshis and latencies add up, and promtool accepts them")
    func scrapedWhilePaying() async throws {
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
        #expect(try await endpoint.get("/healthz") == (200, "ok\n"))

        // Scrape until payments are under way; each scrape is consistent in itself.
        var seen: [Double] = []
        for _ in 0..<400 where client.isRunning && (seen.last ?? 0) < 100 {
            guard let scrape = try? await endpoint.scrape() else { break }
            let payments = try #require(scrape["paychan_client_payments_acknowledged_total"])
            #expect(scrape["paychan_client_paid_satoshis_total"] == payments * 1000)
            #expect((scrape["paychan_client_payment_duration_seconds_count"] ?? -1) <= payments)
            if payments > 0 { #expect(scrape["paychan_client_channels_opened_total"] == 1) }
            if payments > 0, MetricsScrape.promtoolInstalled { #expect(try scrape.promtoolProblems() == nil) }
            seen.append(payments)
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(seen == seen.sorted())
        #expect((seen.last ?? 0) >= 100, "the client's payments were never seen under way: \(seen)")

        let json = output.fileHandleForReading.readDataToEndOfFile()
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        let outcome = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let acked = try #require(outcome["run_acked_sats"] as? Int)
        #expect(Double(acked) >= (seen.last ?? 0) * 1000)
    }
}
