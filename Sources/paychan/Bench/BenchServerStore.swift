import ChannelManager
import Foundation
@_spi(StoreTesting) import PaychanPostgres

/// Where a bench's server manager stores its channels: an SQLite file in the scratch directory
/// (the default), or PostgreSQL, in a schema of its own (`bench_…`) dropped at the end.
enum BenchServerStoreKind: Sendable {
    case sqlite(SQLiteChannelStore.Committer)
    case postgres(PostgresStoreConfiguration)
    /// One of several server nodes on the schema `configuration` names (created by the first to
    /// open it, dropped by whoever made up its name), claiming its channels as node `nodeID`
    /// (``PostgresChannelClaims``, as `paychan server --store … --node-id` does).
    case postgresNode(PostgresStoreConfiguration, nodeID: String)

    /// For the detail column.
    var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres(let configuration), .postgresNode(let configuration, _):
            "PostgreSQL (\(configuration.host):\(configuration.port))"
        }
    }

    /// A schema name of its own for one bench run: `bench_` and a random UUID.
    static func freshSchema() -> String {
        "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The lease of a bench node's claims. The managers run on a manual clock, so their
    /// heartbeat never renews a claim during a run: the lease (judged by the database's clock)
    /// outlasts any run instead. Every write is still fenced by its claim in its transaction.
    static let benchLeaseSeconds: UInt64 = 3600
}

/// How a store batched its writes, whatever the store.
struct BenchStoreStatistics: Sendable {
    var commits = 0
    var writes = 0
    /// Commits that were payment journal writes (SQLite only).
    var journalWrites = 0
}

/// The server's store of a bench, with what the bench reads of it and how to close it.
struct BenchServerStore: Sendable {
    let store: any ChannelStore
    /// How the server node claims its channels (none to take on a store of its own).
    var claims: any ChannelClaims = SingleNodeClaims()
    let statistics: @Sendable () -> BenchStoreStatistics
    let close: @Sendable () async -> Void

    static func open(_ kind: BenchServerStoreKind, directory: String, clock: any ManagerClock) async throws
        -> BenchServerStore
    {
        switch kind {
        case .sqlite(let committer):
            let store = try SQLiteChannelStore(path: directory + "/server.sqlite", clock: clock, committer: committer)
            return BenchServerStore(store: store, statistics: { store.benchStatistics }, close: { store.close() })
        case .postgres(var configuration):
            configuration.schema = BenchServerStoreKind.freshSchema()
            let store = try await PostgresChannelStore.open(configuration, clock: clock)
            let schema = configuration
            return BenchServerStore(
                store: store, statistics: { store.benchStatistics },
                close: {
                    await store.close()
                    try? await PostgresChannelStore.dropSchema(schema)
                })
        case .postgresNode(let configuration, let nodeID):
            let store = try await PostgresChannelStore.open(configuration, clock: clock)
            let claims = PostgresChannelClaims(
                configuration: configuration, nodeID: nodeID, leaseSeconds: BenchServerStoreKind.benchLeaseSeconds)
            return BenchServerStore(
                store: store, claims: claims, statistics: { store.benchStatistics },
                close: {
                    claims.close()
                    await store.close()
                })
        }
    }
}

extension SQLiteChannelStore {
    var benchStatistics: BenchStoreStatistics {
        let statistics = statistics
        return BenchStoreStatistics(
            commits: statistics.commits, writes: statistics.writes, journalWrites: statistics.journalWrites)
    }
}

extension PostgresChannelStore {
    var benchStatistics: BenchStoreStatistics {
        let statistics = statistics
        return BenchStoreStatistics(commits: statistics.commits, writes: statistics.writes)
    }
}
