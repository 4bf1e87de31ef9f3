import ArgumentParser
import Foundation
import PaychanPostgres

/// `paychan bench`: payment throughput at each layer, compared with the signature floor.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure payments/s at each layer (signatures, machines, managers on SQLite) and server memory.",
        discussion: """
            Run it from a release build; a debug build's figures mean nothing:

              swift build -c release && .build/release/paychan bench

            Each figure is measured after a warm-up round, repeated (3 times; once with --quick) and \
            its median reported; throughput figures also show their ratio to the floor. Progress goes \
            to standard error, the table (or with --json one JSON document) to standard output. On a \
            busy machine the figures are noisy.

            floor: libsecp256k1 sign and verify of a payment's sighash called through CShims, plus \
            the payment sighash; payments/s on one core = 1 / (sign + verify + sighash).

            state-machine-1ch: raw client and server machines in one thread, one channel, every \
            message through the codec.

            manager-sqlite-1ch: client and server managers over in-memory pipes on SQLite stores \
            (each payment durable on both sides before it is sent and before it is acknowledged), \
            sequential payments on one channel.

            manager-sqlite-100ch: the same with 100 channels paying at once.

            store-scaling-1k-settled, store-scaling-100k-settled, store-scaling-ratio: \
            manager-sqlite-100ch with 1,000 and with 100,000 settled channels in the server's store \
            (10,000 with --quick; their expiries spread over the past 100 days, like a history), and \
            the ratio of the two. The detail shows how long the server manager's start took.

            server-rss-per-channel-kib: resident memory per idle open channel of a `paychan server` \
            child process, over loopback TCP (10,000 channels; 500 with --quick), from its \
            /proc/PID/status.

            tcp-1ch: the managers of manager-sqlite-1ch (SQLite both sides) over loopback TCP \
            (ChannelTCPServer on 127.0.0.1, ChannelTCPClient), each payment awaiting its ack.

            tcp-1ch-floor, tcp-1ch-floor-ratio: what Scripts/tcp-sync-floor.c measures, in this \
            process, a round after each tcp-1ch round: two threads play sequential payments over \
            loopback TCP, each side spinning for this run's sign (client) or verify (server) time, \
            then writing one 4 KiB block into its own preallocated file with O_DSYNC|O_DIRECT (as the \
            payment journal writes a payment), then sending 86 B \
            (client) or 6 B (server). It is tcp-1ch's two durable writes and round trip with the \
            signature work spun and nothing else: the machine's limit for tcp-1ch at that moment. \
            The ratio is tcp-1ch ÷ tcp-1ch-floor.

            tcp-1ch-pipelined: the same with up to 64 payments in flight on the one connection.

            tcp-100ch: 100 channels over loopback TCP paying at once, aggregate payments/s.

            tcp-1ch-tls, tcp-100ch-tls: tcp-1ch and tcp-100ch over TLS 1.3 (a P-256 self-signed \
            certificate made for the run, the client pinning its key).

            tcp-100ch-tls-ratio: tcp-100ch-tls ÷ tcp-100ch measured in alternating rounds on a \
            plain and a TLS setup side by side (the median of the rounds' ratios), so that the \
            host's load changes hit both alike. 1.0: TLS costs nothing.

            tcp-1ch-postgres (with --postgres URL, or PAYCHAN_POSTGRES_URL): tcp-1ch with the \
            server's store on PostgreSQL (synchronous_commit on: every acknowledged payment \
            committed), in a schema of its own dropped afterwards; the client's stays SQLite.

            tcp-100ch-postgres (the same): tcp-100ch over two server nodes in this process on one \
            PostgreSQL schema, each with its own TCP listener, store connections and channel claims \
            (PostgresChannelClaims, distinct node ids, every write fenced by its claim), the \
            channels spread over both.

            tcp-open-v2-ms-p50, tcp-open-v2-ms-p99: channel open latency over loopback TCP with \
            SQLite stores, connect to `open` returning, channels opened one after the other (300; \
            30 with --quick). The TCP figures run server and client on separate one-thread event \
            loop groups.
            """)

    @Flag(
        name: .long,
        help: """
            Print one JSON document: {"floor": {sign_us, verify_us, sighash_us, payments_per_s, …}, \
            "results": [{name, value, unit, ratio_to_floor, detail}], "build", "quick"}.
            """)
    var json = false

    @Flag(name: .long, help: "A reduced set with small sizes, for CI smoke runs (well under a minute in release).")
    var quick = false

    @Option(name: .long, help: "Run only the figures whose name starts with this (repeatable). The floor always runs.")
    var only: [String] = []

    @Option(name: .long, help: "Where the scratch SQLite files go (default: the system's temporary directory).")
    var dir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "PostgreSQL for the tcp-1ch-postgres and tcp-100ch-postgres figures, postgres://USER@HOST:PORT/DB (default: $PAYCHAN_POSTGRES_URL; none: the figure is left out).",
            valueName: "url"))
    var postgres: String?

    @Option(
        name: .long,
        help: "Multiply the payments per round of every figure (longer, steadier runs; for profiling).")
    var scale: Int = 1

    func validate() throws {
        guard scale >= 1 else { throw ValidationError("--scale must be at least 1") }
    }

    func run() async throws {
        #if DEBUG
            BenchProgress.print(
                "WARNING: this is a debug build; its figures mean nothing. "
                    + "Use: swift build -c release && .build/release/paychan bench")
        #endif
        let parent = dir ?? FileManager.default.temporaryDirectory.path
        var settings = (quick ? BenchSettings.quick(scratchParent: parent) : BenchSettings.full(scratchParent: parent))
            .scaled(by: scale)
        if let url = postgres ?? ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"], !url.isEmpty {
            do { settings.postgres = try PostgresStoreConfiguration(url: url) } catch {
                throw CommandFailure("--postgres: \(error.message)")
            }
        }
        let report: BenchReport
        do {
            report = try await Self.measure(settings, only: only)
        } catch let failure as BenchFailure {
            throw CommandFailure("bench failed: \(failure)")
        }
        if json {
            try printJSON(report)
        } else {
            print(report.table)
        }
    }

    /// Measures the floor, then every figure `only` selects (all when empty), in order.
    static func measure(_ settings: BenchSettings, only: [String] = []) async throws -> BenchReport {
        BenchProgress.print("floor (\(settings.floorIterations) signatures per round)")
        let floor = try FloorBench.measure(settings)
        let context = BenchContext(settings: settings, floor: floor)
        let selected = BenchSuite.figures(settings).filter { figure in
            only.isEmpty || figure.names.contains { name in only.contains { name.hasPrefix($0) } }
        }
        // Run the figures that need a fresh process first, then list every result in suite order.
        let order =
            selected.indices.filter { selected[$0].runsFirst } + selected.indices.filter { !selected[$0].runsFirst }
        var resultsByFigure: [Int: [BenchResult]] = [:]
        for index in order {
            BenchProgress.print(selected[index].names.joined(separator: ", "))
            resultsByFigure[index] = try await selected[index].run(context)
        }
        let results = selected.indices.flatMap { resultsByFigure[$0] ?? [] }
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        return BenchReport(build: build, quick: settings.quick, floor: floor, results: results)
    }
}
