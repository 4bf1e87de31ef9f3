import Foundation
import PaychanTestSupport
import Testing

/// Runs the built `paychan bench --quick --json` and checks that every figure came out.
///
/// The binary is the one `swift build` put next to this test bundle (the test target depends
/// on the `paychan` target so that it is built first). In a debug build the figures mean
/// nothing; this only checks that the bench code path runs end to end and reports sensibly.
@Suite("paychan bench", .onDedicatedThreads)
struct BenchSmokeTests {
    @Test("bench --quick --json reports the floor and every figure, all positive")
    func quickJSON() throws {
        let binary = try #require(Self.paychanBinary(), "no built paychan binary next to the test bundle")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-bench-test-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let (status, output) = try Self.run(binary, ["bench", "--quick", "--json", "--dir", scratch.path])
        #expect(status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])

        let floor = try #require(document["floor"] as? [String: Any])
        for key in ["sign_us", "verify_us", "sighash_us", "payments_per_s"] {
            let value = try #require(floor[key] as? Double, "floor.\(key) missing")
            #expect(value > 0, "floor.\(key) = \(value)")
        }

        let results = try #require(document["results"] as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for result in results {
            let name = try #require(result["name"] as? String)
            byName[name] = result
            let value = try #require(result["value"] as? Double, "\(name): no value")
            #expect(value > 0, "\(name) = \(value)")
            #expect(result["unit"] is String, "\(name): no unit")
            // Present for every result: a number for throughput figures, null otherwise.
            #expect(result.keys.contains("ratio_to_floor"), "\(name): no ratio_to_floor")
        }
        // With a PostgreSQL server named (Scripts/test starts one), the bench measures on it too.
        let postgres = ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false
        let throughput =
            [
                "state-machine-1ch", "manager-sqlite-1ch", "manager-sqlite-100ch", "store-scaling-1k-settled",
                "store-scaling-10k-settled", "tcp-1ch", "tcp-1ch-floor", "tcp-1ch-pipelined", "tcp-100ch",
                "tcp-1ch-tls", "tcp-100ch-tls",
            ] + (postgres ? ["tcp-1ch-postgres", "tcp-100ch-postgres"] : [])
        for name in throughput {
            let result = try #require(byName[name], "\(name) missing")
            #expect(result["unit"] as? String == "payments/s")
            let ratio = try #require(result["ratio_to_floor"] as? Double, "\(name): no ratio_to_floor")
            #expect(ratio > 0)
        }
        let notThroughput = [
            "store-scaling-ratio", "server-rss-per-channel-kib", "tcp-open-v2-ms-p50", "tcp-open-v2-ms-p99",
            "tcp-1ch-floor-ratio",
            "tcp-100ch-tls-ratio",
        ]
        for name in notThroughput {
            let result = try #require(byName[name], "\(name) missing")
            #expect(result["ratio_to_floor"] is NSNull, "\(name): ratio_to_floor should be null")
        }
        // tcp-1ch's ratio to its floor, measured in the same run, is the quotient of the two.
        #expect(byName["tcp-1ch-floor-ratio"]?["unit"] as? String == "ratio")
        if let tcp = byName["tcp-1ch"]?["value"] as? Double, let floor = byName["tcp-1ch-floor"]?["value"] as? Double,
            let ratio = byName["tcp-1ch-floor-ratio"]?["value"] as? Double
        {
            #expect(abs(ratio - tcp / floor) < 0.01 * ratio, "ratio \(ratio), tcp-1ch \(tcp) / floor \(floor)")
        }
        for name in ["tcp-open-v2-ms-p50", "tcp-open-v2-ms-p99"] {
            #expect(byName[name]?["unit"] as? String == "ms", "\(name): unit should be ms")
        }
        if let p50 = byName["tcp-open-v2-ms-p50"]?["value"] as? Double,
            let p99 = byName["tcp-open-v2-ms-p99"]?["value"] as? Double
        {
            #expect(p50 <= p99, "open latency p50 \(p50) ms above p99 \(p99) ms")
        }
    }

    @Test("bench without --json prints a table naming every figure")
    func quickTable() throws {
        let binary = try #require(Self.paychanBinary(), "no built paychan binary next to the test bundle")
        let (status, output) = try Self.run(binary, ["bench", "--quick", "--only", "state-machine"])
        #expect(status == 0)
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.contains("floor"))
        #expect(text.contains("state-machine-1ch"))
        #expect(!text.contains("manager-sqlite-1ch"))
    }

    /// The `paychan` executable in the build directory this test runs from.
    static func paychanBinary() -> URL? {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath(),
            Bundle.main.bundleURL,
        ]
        for candidate in candidates {
            // The test binary is `<build>/PaychanPackageTests.xctest` (a file on Linux, a bundle
            // directory on macOS); walk up a few levels looking for `paychan`.
            var directory = candidate.deletingLastPathComponent()
            for _ in 0..<4 {
                let binary = directory.appendingPathComponent("paychan")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory),
                    !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: binary.path)
                {
                    return binary
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Runs `binary` with `arguments`; returns its exit status and standard output (standard
    /// error, the progress lines, is passed through).
    static func run(_ binary: URL, _ arguments: [String]) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
