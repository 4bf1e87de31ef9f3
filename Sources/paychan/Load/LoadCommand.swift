import ArgumentParser
import BitcoinPrimitives
import Foundation

/// `paychan load`: many concurrent connections against a `paychan server` child over loopback.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Hold many channels open on a paychan server over loopback while some of them pay.",
        discussion: """
            Starts `paychan server --chain memory` as a child process on a free port of 127.0.0.1 \
            and opens --connections connections from this process, each with its own channel \
            (SQLite stores on both sides, each payment durable before it is sent and before it is \
            acknowledged). The first --paying of them then pay, each one payment after another, for \
            --seconds, while the others stay open and idle. Afterwards the server is stopped and its \
            store is checked: every paying channel must hold exactly what its client signed.

            Reports the payments/s, the latency percentiles, the server process's memory (VmRSS \
            from /proc) and the errors: failed opens or payments, connections that ended on their \
            own, store mismatches. Exit status 1 when there was any error. Each side needs one \
            file descriptor per connection (see `ulimit -n`). Run it from a release build.
            """)

    @Option(name: .long, help: "Connections, each with its own channel.")
    var connections = 10_000

    @Option(name: .long, help: "How many of the connections pay; the others stay open and idle.")
    var paying = 1_000

    @Option(name: .long, help: "Length of the paying phase, in seconds.")
    var seconds = 30.0

    @Option(name: .long, help: "Satoshis per payment (the server's minimum payment is 1000).")
    var amount: Int64 = 1_000

    @Option(name: .long, help: "Value of each channel, in satoshis.")
    var channelValue: Int64 = 10_000_000

    @Option(name: .long, help: "Channels opened at once.")
    var wave = 250

    @Option(name: .long, help: "Where the stores go (a new directory inside it, removed afterwards).")
    var dir = FileManager.default.temporaryDirectory.path

    @Flag(name: .long, help: "Print one JSON document with the figures.")
    var json = false

    func run() async throws {
        guard (1...1_000_000).contains(connections), paying >= 0, paying <= connections else {
            throw CommandFailure("--connections must be 1 to 1,000,000 and --paying between 0 and --connections")
        }
        guard seconds >= 0, seconds <= 3600, wave > 0 else {
            throw CommandFailure("--seconds must be 0 to 3600 and --wave positive")
        }
        guard let each = try? Amount(satoshis: amount), each > .zero,
            let value = try? Amount(satoshis: channelValue), value > .zero
        else { throw CommandFailure("--amount and --channel-value must be positive numbers of satoshis") }
        let scratch = try BenchScratch(parent: dir)
        defer { scratch.remove() }
        let plan = LoadPlan(
            connections: connections, paying: paying, seconds: seconds, amount: each, channelValue: value, wave: wave)
        let run = LoadRun(plan: plan, directory: scratch.path) { line in
            FileHandle.standardError.write(Data("load: \(line)\n".utf8))
        }
        let report: LoadReport
        do { report = try await run.run() } catch {
            throw CommandFailure("load run failed: \(error)")
        }
        if json { try printJSON(report) } else { print(report.text) }
        if report.errors > 0 { throw ExitCode(1) }
    }
}
