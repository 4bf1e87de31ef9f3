import ChannelManager
import ChannelStoreConformance
import Testing

/// The rules every ``ChannelStore`` keeps (``ChannelStoreConformanceCase``), run against the
/// in-memory and the SQLite stores. PaychanPostgresTests runs the same cases on PostgreSQL.
@Suite("ChannelStore conformance")
struct ChannelStoreConformanceTests {
    @Test("every conformance case on every store", arguments: ChannelStoreConformanceCase.allCases, StoreKind.allCases)
    func conformance(rule: ChannelStoreConformanceCase, kind: StoreKind) async throws {
        try await rule.run { clock, body in try await kind.withStore(clock: clock, body) }
    }
}
