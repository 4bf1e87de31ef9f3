import BitcoinPrimitives
import ChannelManager
import ChannelTCP
import Foundation
import NIOCore
import NIOPosix
@_spi(StoreTesting) import PaychanPostgres
import PaychanTLSTestSupport
import Synchronization

/// `tcp-1ch`, `tcp-1ch-pipelined` and `tcp-100ch`: the managers of ``BenchManagers`` (SQLite
/// stores on both sides, `synchronous = FULL`) talking over loopback TCP: a
/// ``ChannelTCPServer`` on 127.0.0.1 in front of the server manager, ``ChannelTCPClient``
/// connections from the client manager, server and client on separate event loop groups.
/// `tcp-1ch-tls` and `tcp-100ch-tls` run the same over TLS.
///
/// Each channel pays its share of a round with `inFlight` tasks at once, each awaiting its
/// ack before its next payment: 1 is strictly sequential, 64 keeps up to 64 payments in flight
/// on the one connection.
struct TCPPaymentFigure: BenchFigure {
    let name: String
    let channels: Int
    /// Payments in flight at once on each channel.
    let inFlight: Int
    /// The server's store on PostgreSQL (`tcp-1ch-postgres`) instead of SQLite.
    var postgres: PostgresStoreConfiguration? = nil
    /// Server nodes on that PostgreSQL schema, each with its own listener, claims and store
    /// connections (`tcp-100ch-postgres`: 2); the channels are spread over them.
    var nodes = 1
    /// TLS on every connection (`tcp-1ch-tls`, `tcp-100ch-tls`): see ``TCPBench/init(directory:coins:coinValue:postgres:nodes:tls:)``.
    var tls = false
    /// Also measure ``SyncFloor`` (`NAME-floor`), a round of it after each round of this figure,
    /// and this figure's ratio to it (`NAME-floor-ratio`).
    var syncFloor = false

    var names: [String] { syncFloor ? [name, name + "-floor", name + "-floor-ratio"] : [name] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let settings = context.settings
        let perChannel = channels == 1 ? settings.singleChannelPayments : settings.paymentsPerConcurrentChannel
        let repeats = settings.repeats
        let channelSatoshis = BenchSettings.paymentSatoshis * Int64((repeats + 1) * perChannel + 2) + 100_000
        let scratch = try context.scratch()
        defer { scratch.remove() }
        let floorBed = syncFloor ? try SyncFloor(directory: scratch.path) : nil
        let bed = try await TCPBench(
            directory: scratch.path, coins: channels, coinValue: try Amount(satoshis: channelSatoshis + 100_000),
            postgres: postgres, nodes: nodes, tls: tls)
        do {
            let (rates, batching, floorRates) = try await measure(
                bed, perChannel: perChannel, repeats: repeats, value: try Amount(satoshis: channelSatoshis),
                floorBed: floorBed, floor: context.floor)
            let rate = BenchTiming.median(rates)
            await bed.shutdown()
            let shape =
                channels == 1
                ? "1 channel, \(perChannel) payments/round, "
                    + (inFlight == 1 ? "each awaiting its ack" : "up to \(inFlight) in flight")
                : "\(channels) channels at once, \(perChannel) sequential payments each/round"
                    + (nodes > 1 ? " over \(nodes) server nodes" : "")
            let result = BenchResult.throughput(
                name, rate, floor: context.floor,
                detail:
                    "\(shape), loopback TCP\(bed.tlsDescription), \(bed.storesDescription), \(bed.groupsDescription), \(batching)"
            )
            guard !floorRates.isEmpty else { return [result] }
            return [result]
                + SyncFloor.results(
                    of: name, rates: rates, floorRates: floorRates, perRound: perChannel, floor: context.floor)
        } catch {
            await bed.shutdown()
            throw error
        }
    }

    /// One round: every session pays its `shares` (one task per share, each awaiting its acks
    /// in turn) from `bed`'s client loop; returns the payments/s.
    static func round(_ sessions: [ClientSession], shares: [Int], amount: Amount, on bed: TCPBench) async throws
        -> Double
    {
        let seconds = try await BenchTiming.secondsAsync {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in sessions {
                    for share in shares {
                        group.addTask(executorPreference: bed.clientExecutor) {
                            for _ in 0..<share { try await session.pay(amount) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return Double(sessions.count * shares.reduce(0, +)) / seconds
    }

    /// The measured rounds' rates, how the stores grouped their commits over the rounds, and
    /// with `floorBed` the rates of a ``SyncFloor`` round run after each measured round.
    private func measure(
        _ bed: TCPBench, perChannel: Int, repeats: Int, value: Amount, floorBed: SyncFloor?, floor: BenchFloor
    ) async throws -> ([Double], String, [Double]) {
        let sessions = try await bed.openChannels(channels, value: value)
        let serverBefore = bed.serverStatistics()
        let clientBefore = bed.managers.clientStore.benchStatistics
        let amount = try Amount(satoshis: BenchSettings.paymentSatoshis)
        // Every channel's round split among its in-flight tasks, as evenly as it goes.
        let workers = max(1, min(inFlight, perChannel))
        let shares = (0..<workers).map { perChannel / workers + ($0 < perChannel % workers ? 1 : 0) }
        var rates: [Double] = []
        var floorRates: [Double] = []
        for round in 0...max(1, repeats) {  // round 0 warms up
            let rate = try await Self.round(sessions, shares: shares, amount: amount, on: bed)
            if let floorBed {
                let floorRate = try await floorBed.round(
                    payments: perChannel, clientSpinMicros: floor.signMicros, serverSpinMicros: floor.verifyMicros)
                if round > 0 { floorRates.append(floorRate) }
            }
            if round > 0 { rates.append(rate) }
        }
        let rate = BenchTiming.median(rates)
        let batching = ManagerMeasurement(
            paymentsPerSecond: rate,
            serverWritesPerCommit: ManagerRun.writesPerCommit(from: serverBefore, to: bed.serverStatistics()),
            clientWritesPerCommit: ManagerRun.writesPerCommit(
                from: clientBefore, to: bed.managers.clientStore.benchStatistics),
            serverJournalShare: ManagerRun.journalShare(from: serverBefore, to: bed.serverStatistics()),
            clientJournalShare: ManagerRun.journalShare(
                from: clientBefore, to: bed.managers.clientStore.benchStatistics)
        ).batching
        // Every acknowledged payment must be in the server's store (shared by the nodes): check
        // every channel.
        let paid = try Amount(satoshis: BenchSettings.paymentSatoshis * Int64((repeats + 1) * perChannel + 1))
        for session in sessions { try await bed.managers.checkDurable(session, paidToServer: paid) }
        return (rates, batching, floorRates)
    }
}

/// `tcp-open-v2-ms-p50` and `tcp-open-v2-ms-p99`: how long opening a v2 channel takes over
/// loopback TCP with durable (SQLite) stores, from the client's `connect` to `open` returning
/// (connection, version handshake, wallet funding, refund signing, contract stored on both
/// sides, initial payment acknowledged). Channels are opened one after the other, each on a
/// new connection; a few unmeasured opens warm up first.
struct TCPOpenLatencyFigure: BenchFigure {
    static let warmUpOpens = 5

    var names: [String] { ["tcp-open-v2-ms-p50", "tcp-open-v2-ms-p99"] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let samples = context.settings.tcpOpenSamples
        let opens = Self.warmUpOpens + samples
        let value = try Amount(satoshis: Int64(200_000))
        let scratch = try context.scratch()
        defer { scratch.remove() }
        let bed = try await TCPBench(directory: scratch.path, coins: opens, coinValue: try Amount(satoshis: 300_000))
        var millis: [Double] = []
        do {
            for index in 0..<opens {
                let seconds = try await BenchTiming.secondsAsync {
                    let session = try await bed.connect(serverID: "bench-open-\(index)")
                    _ = try await session.open(value: value)
                }
                if index >= Self.warmUpOpens { millis.append(seconds * 1000) }
            }
        } catch {
            await bed.shutdown()
            throw error
        }
        await bed.shutdown()
        let detail =
            "\(samples) sequential opens (after \(Self.warmUpOpens) unmeasured), each a new loopback TCP "
            + "connection, connect to open returning, SQLite both sides, \(bed.groupsDescription)"
        return [
            BenchResult(
                name: "tcp-open-v2-ms-p50", value: Self.percentile(millis, 0.50), unit: "ms", ratioToFloor: nil,
                detail: detail),
            BenchResult(
                name: "tcp-open-v2-ms-p99", value: Self.percentile(millis, 0.99), unit: "ms", ratioToFloor: nil,
                detail: detail),
        ]
    }

    /// The nearest-rank percentile `quantile` (0…1) of `values` (0 when empty).
    static func percentile(_ values: [Double], _ quantile: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((quantile * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}

/// ``BenchManagers`` behind a ``ChannelTCPServer`` on a free port of 127.0.0.1, with client
/// connections over ``ChannelTCPClient``. The server and the clients run on separate event loop
/// groups of one thread each. Each side's store commits on its side's loop
/// (`SQLiteChannelStore.Committer.eventLoop`) and the payments are made from the client's loop
/// (``EventLoopTaskExecutor``), so a payment and its acknowledgement wake no thread besides the
/// peer's loop.
final class TCPBench: Sendable {
    static let host = "127.0.0.1"
    /// Threads of each of the two event loop groups.
    static let threadsPerGroup = 1

    let managers: BenchManagers
    let listener = ChannelTCPServer()
    let port: Int
    /// The server nodes besides the first (``managers``' server), on its PostgreSQL schema.
    private let otherNodes: [BenchServerNode]
    /// The schema the nodes share, dropped at shutdown (with more than one node).
    private let sharedSchema: PostgresStoreConfiguration?
    /// Every node's listening port, the first node's first.
    var ports: [Int] { [port] + otherNodes.map(\.port) }
    private let serverGroup: MultiThreadedEventLoopGroup
    private let clientGroup: MultiThreadedEventLoopGroup
    /// The client group's loop: its connections, its store's commits and the paying tasks
    /// (``clientExecutor``) all run there.
    private let clientLoop: any EventLoop
    /// Runs the paying tasks on the client's event loop.
    let clientExecutor: EventLoopTaskExecutor

    var groupsDescription: String {
        "server and client on separate \(Self.threadsPerGroup)-thread event loop groups, "
            + "each SQLite store committing on its side's loop, payments made from the client's loop"
    }

    /// What each side stores in, for the detail column.
    let storesDescription: String
    /// The client side of TLS, when the listener speaks it.
    private let clientTLS: ClientTLSConfiguration?
    /// ", TLS ..." when the connections speak TLS, for the detail column.
    var tlsDescription: String {
        clientTLS == nil ? "" : " over TLS 1.3 (P-256 self-signed certificate, the client pinning its key)"
    }

    /// With `postgres`, the server's store is PostgreSQL (the client's stays SQLite); with
    /// `nodes` above 1 as well, that many server nodes share one schema of it, each claiming the
    /// channels it serves. With `tls`, the listener speaks TLS with a self-signed certificate made
    /// for the run and the clients pin its key.
    init(
        directory: String, coins: Int, coinValue: Amount, postgres: PostgresStoreConfiguration? = nil, nodes: Int = 1,
        tls: Bool = false
    ) async throws {
        let certificate = tls ? try TestCertificates().selfSignedServer : nil
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: Self.threadsPerGroup)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: Self.threadsPerGroup)
        var sharedSchema: PostgresStoreConfiguration? = nil
        let serverKind: BenchServerStoreKind
        if let postgres, nodes > 1 {
            var shared = postgres
            shared.schema = BenchServerStoreKind.freshSchema()
            sharedSchema = shared
            serverKind = .postgresNode(shared, nodeID: "bench-node-1")
        } else {
            serverKind = postgres.map { .postgres($0) } ?? .sqlite(.eventLoop(serverGroup.next()))
        }
        let managers: BenchManagers
        do {
            managers = try await BenchManagers(
                directory: directory, coins: coins, coinValue: coinValue, serverStore: serverKind,
                clientCommitter: .eventLoop(clientGroup.next()))
        } catch {
            try? await serverGroup.shutdownGracefully()
            try? await clientGroup.shutdownGracefully()
            if let sharedSchema { try? await PostgresChannelStore.dropSchema(sharedSchema) }
            throw error
        }
        var otherNodes: [BenchServerNode] = []
        if let sharedSchema {
            do {
                for index in 2...nodes {
                    otherNodes.append(
                        try await BenchServerNode(
                            configuration: sharedSchema, nodeID: "bench-node-\(index)", managers: managers,
                            threads: Self.threadsPerGroup))
                }
            } catch {
                for node in otherNodes { await node.shutdown() }
                await managers.shutdown()
                try? await serverGroup.shutdownGracefully()
                try? await clientGroup.shutdownGracefully()
                try? await PostgresChannelStore.dropSchema(sharedSchema)
                throw error
            }
        }
        var configuration = ChannelTCPServer.Configuration(eventLoopGroup: serverGroup)
        configuration.logger = BenchLogging.quiet("paychan.bench.tcp.server")
        do {
            if let certificate {
                configuration.tls = try ServerTLSConfiguration(
                    certificateChainPEM: Array(certificate.certificatePEM.utf8),
                    privateKeyPEM: Array(certificate.privateKeyPEM.utf8))
                clientTLS = try ClientTLSConfiguration(trust: .publicKeySHA256(certificate.publicKeySHA256))
            } else {
                clientTLS = nil
            }
            try await listener.start(
                host: Self.host, port: 0, serverManager: managers.server, configuration: configuration)
        } catch {
            for node in otherNodes { await node.shutdown() }
            await managers.shutdown()
            try? await serverGroup.shutdownGracefully()
            try? await clientGroup.shutdownGracefully()
            if let sharedSchema { try? await PostgresChannelStore.dropSchema(sharedSchema) }
            throw BenchFailure("TCP listener: \(error)")
        }
        self.managers = managers
        self.otherNodes = otherNodes
        self.sharedSchema = sharedSchema
        let servers =
            otherNodes.isEmpty
            ? "server"
            : "\(nodes) server nodes (each its own TCP listener, store connections and PostgreSQL claims) on one schema"
        storesDescription =
            postgres.map {
                "\(servers) on PostgreSQL (\($0.host):\($0.port), synchronous_commit on), client on SQLite"
            }
            ?? "SQLite both sides"
        self.serverGroup = serverGroup
        self.clientGroup = clientGroup
        clientLoop = clientGroup.next()
        clientExecutor = EventLoopTaskExecutor(clientLoop)
        port = listener.port ?? 0
    }

    /// How the server stores (every node's) batched their writes so far.
    func serverStatistics() -> BenchStoreStatistics {
        otherNodes.map(\.statistics).reduce(managers.serverStatistics()) { total, node in
            BenchStoreStatistics(
                commits: total.commits + node.commits, writes: total.writes + node.writes,
                journalWrites: total.journalWrites + node.journalWrites)
        }
    }

    /// A new TCP connection from the client manager to the node listening on `port` (the
    /// first node's by default), as server `serverID` (so that no two connections reopen the
    /// same channel).
    func connect(serverID: String, port: Int? = nil) async throws -> ClientSession {
        let configuration = ChannelTCPClient.Configuration(
            eventLoopGroup: clientLoop, logger: BenchLogging.quiet("paychan.bench.tcp.client"), tls: clientTLS)
        return try await ChannelTCPClient.connect(
            host: Self.host, port: port ?? self.port, clientManager: managers.client, serverID: serverID,
            configuration: configuration)
    }

    /// Opens `count` channels worth `value` at once, each on its own connection, spread over
    /// the server nodes in turn.
    func openChannels(_ count: Int, value: Amount) async throws -> [ClientSession] {
        let ports = ports
        return try await withThrowingTaskGroup(of: ClientSession.self) { group in
            for index in 0..<count {
                group.addTask {
                    let session = try await self.connect(
                        serverID: "bench-server-\(index)", port: ports[index % ports.count])
                    _ = try await session.open(value: value)
                    return session
                }
            }
            var sessions: [ClientSession] = []
            for try await session in group { sessions.append(session) }
            return sessions
        }
    }

    /// Stops the listener (closing every connection), the managers and the stores, then the
    /// event loop groups.
    func shutdown() async {
        await listener.stop()
        for node in otherNodes { await node.shutdown() }
        await managers.shutdown()
        try? await clientGroup.shutdownGracefully()
        try? await serverGroup.shutdownGracefully()
        if let sharedSchema { try? await PostgresChannelStore.dropSchema(sharedSchema) }
    }
}
