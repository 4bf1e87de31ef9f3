import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan load: many connections against a paychan server process", .onDedicatedThreads)
struct LoadTests {
    @Test("1,000 connections, 100 paying: no errors, payments counted, server store matches, memory read")
    func thousandConnections() throws {
        let scratch = try ScratchDirectory()
        let run = try PaychanProcess.run([
            "load", "--connections", "1000", "--paying", "100", "--seconds", "2", "--dir", scratch.path, "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try run.json()
        #expect(report["errors"] as? Int == 0, "\(report["error_samples"] ?? "")")
        #expect(report["channels_open"] as? Int == 1000)
        let payments = try #require(report["payments"] as? Int)
        #expect(payments >= 100, "every payer should pay at least once in 2 s")
        let rate = try #require(report["payments_per_s"] as? Double)
        #expect(rate > 0)
        let start = try #require(report["server_memory_start"] as? [String: Any])
        let open = try #require(report["server_memory_open"] as? [String: Any])
        let startKiB = try #require(start["rss_kib"] as? Int)
        let openKiB = try #require(open["rss_kib"] as? Int)
        #expect(openKiB > startKiB, "a thousand open channels take some server memory")
        // The scratch directory it made inside --dir is gone afterwards.
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left.isEmpty, "\(left)")
    }

    @Test("bad sizes are refused before anything starts")
    func badArguments() throws {
        let run = try PaychanProcess.run(["load", "--connections", "10", "--paying", "11"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("--paying"))
    }
}
