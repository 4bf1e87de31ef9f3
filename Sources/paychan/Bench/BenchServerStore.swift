import ChannelManager
import Foundation
@_spi(StoreTesting) import PaychanPostgres

/// Where a bench's server manager stores its channels: an SQLite file in the scratch directory
/// (the default), or PostgreSQL, in a schema of its own (`bench_…`) dropped at the end.
enum BenchServerStoreKind: Sendable {
    case sqlite(SQLiteChannelStore.Committer)
    case postgres(PostgresStoreConfiguration)

    /// For the detail column.
    var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres(let configuration): "PostgreSQL (\(configuration.host):\(configuration.port))"
        }
    }
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
            configuration.schema = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let store = try await PostgresChannelStore.open(configuration, clock: clock)
            let schema = configuration
            return BenchServerStore(
                store: store,
                statistics: {
                    let statistics = store.statistics
                    return BenchStoreStatistics(commits: statistics.commits, writes: statistics.writes)
                },
                close: {
                    await store.close()
                    try? await PostgresChannelStore.dropSchema(schema)
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
