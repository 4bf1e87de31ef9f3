import ChannelManager
import ChannelStoreConformance
import PaychanPostgres
import Testing

/// The rules every ``ChannelStore`` keeps (the same cases as the in-memory and SQLite stores),
/// on PostgreSQL.
@Suite("ChannelStore conformance on PostgreSQL", .enabled(if: PostgresTestDatabase.isConfigured))
struct PostgresConformanceTests {
    @Test("every conformance case", arguments: ChannelStoreConformanceCase.allCases)
    func conformance(rule: ChannelStoreConformanceCase) async throws {
        try await rule.run { clock, body in
            try await PostgresTestDatabase.withStore(clock: clock) { store in try await body(store) }
        }
    }
}
