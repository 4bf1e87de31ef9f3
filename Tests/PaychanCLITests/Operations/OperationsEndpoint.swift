import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// A `paychan` program's `--metrics` endpoint, read with AsyncHTTPClient.
struct OperationsEndpoint {
    let address: String

    init(address: String) { self.address = address }

    /// For a server started with `--metrics 127.0.0.1:0`: reads its `metrics on HOST:PORT` line.
    init(_ server: RunningServer) throws {
        let line = server.nextLine()
        guard line.hasPrefix("metrics on ") else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "server said: \(line)"])
        }
        address = String(line.dropFirst("metrics on ".count))
    }

    /// A `paychan server --metrics 127.0.0.1:0` in `scratch/server`, and its endpoint.
    static func server(in scratch: ScratchDirectory) throws -> (RunningServer, OperationsEndpoint) {
        let server = try RunningServer(
            directory: scratch.path + "/server", extraArguments: ["--metrics", "127.0.0.1:0"])
        return (server, try OperationsEndpoint(server))
    }

    /// The status and body of `GET path`.
    func get(_ path: String) async throws -> (status: UInt, body: String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://\(address)\(path)"), timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (response.status.code, String(buffer: body))
    }

    /// A scrape of `/metrics`: its text and each sample's value, by name and labels as written
    /// (`paychan_chain_calls_total{call="broadcast"}`).
    func scrape() async throws -> MetricsScrape {
        let (status, body) = try await get("/metrics")
        #expect(status == 200)
        return MetricsScrape(text: body)
    }
}

/// One exposition in Prometheus's text format.
struct MetricsScrape {
    let text: String
    let samples: [String: Double]

    init(text: String) {
        self.text = text
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        self.samples = samples
    }

    subscript(_ name: String) -> Double? { samples[name] }

    /// `promtool check metrics` on the text: nil when it passes, else what it said. Throws when
    /// promtool is not installed (Scripts/install-promtool installs it).
    func promtoolProblems() throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["promtool", "check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "promtool exit \(process.terminationStatus): \(said)"
    }

    /// Whether promtool can be run here.
    static var promtoolInstalled: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/promtool")
        }
    }
}
