import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

@testable import ChannelManager

/// A batch of payments that are all refused: nothing to make durable.
extension PaymentJournalStoreTests {
    /// A store with ``server`` and a few payments journaled, and the bytes of its journal file.
    static func storeWithJournal(_ path: String) async throws -> (SQLiteChannelStore, Data) {
        let store = try await storeWithChannels(path)
        try await store.write([try JournalTesting.serverPayment(try server, 1, signature: [1])])
        try await store.write([try JournalTesting.serverPayment(try server, 2, signature: [2])])
        return (store, try Data(contentsOf: URL(fileURLWithPath: path + "-paylog")))
    }

    @Test("a lone payment for a channel never stored is refused and writes nothing to the journal")
    func refusedAloneWritesNothing() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let (store, journal) = try await Self.storeWithJournal(path)
            defer { store.close() }
            let unknown = try StoreFixtures.server(120)
            let before = store.statistics
            let error = await #expect(throws: StoreError.self) {
                try await store.write([try JournalTesting.serverPayment(unknown, 3, signature: [3])])
            }
            #expect(error?.kind == .inconsistent)
            #expect(store.statistics.refusedTickets == before.refusedTickets + 1)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "-paylog")) == journal)
            // The next payment is journaled right after the earlier ones.
            try await store.write([try JournalTesting.serverPayment(try Self.server, 4, signature: [4])])
            // (Unless an idle fold started a new cycle meanwhile: then try again.)
            guard JournalTesting.sqliteCommits(store) == before.commits - before.journalWrites,
                try JournalTesting.folded(path) == 0
            else { return false }
            let identity = try #require(try JournalTesting.identity(path))
            let records = try JournalTesting.records(inJournal: path + "-paylog", identity: identity, base: 0)
            #expect(records.map(\.sequence) == [1, 2, 3])
            return true
        }
    }

    @Test(
        "a batch whose payments are all refused is not counted as a journal write")
    func refusedAloneNotCounted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let (store, _) = try await Self.storeWithJournal(path)
            defer { store.close() }
            // A channel read folds the journal first: nothing is left for an idle fold to commit
            // while the statistics are compared.
            _ = try await store.serverChannels(in: [.open])
            let before = store.statistics
            _ = try? await store.write([
                try JournalTesting.serverPayment(try StoreFixtures.server(121), 3, signature: [3])
            ])
            #expect(store.statistics.journalWrites == before.journalWrites)
            #expect(store.statistics.commits == before.commits)
        }
    }
}
