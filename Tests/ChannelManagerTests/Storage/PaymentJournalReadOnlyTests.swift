import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

/// A second store opened on a file whose payment journal another open store owns: it reads
/// everything the owner acknowledged, and refuses to write (two writers could roll back each
/// other's payments).
@Suite("SQLite payment journal: a second store is read-only")
struct PaymentJournalReadOnlyTests {
    /// `reader` refuses a payment of `value` to `server` and a key reservation, as read-only.
    static func expectRefusals(_ reader: SQLiteChannelStore, _ server: ServerChannelRecord, value: Int64) async throws {
        let payment = StoreWrite.server(
            .payment(
                contractTxid: server.contractTxid, bestValueToServer: try StoreFixtures.amount(value),
                signature: StoreFixtures.signature(Int(value % 200))))
        let write = await #expect(throws: StoreError.self) { try await reader.write([payment]) }
        #expect(write?.kind == .io)
        #expect(write?.message.contains("read-only") == true)
        let reserve = await #expect(throws: StoreError.self) { try await reader.reserveKeyIndex(.serverChannel) }
        #expect(reserve?.kind == .io)
    }

    @Test("the second store sees the owner's journaled payments and refuses writes, reservations and prunes")
    func secondStoreIsReadOnly() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try StoreFixtures.server(1)
            let client = try StoreFixtures.client(2)
            let owner = try JournalTesting.storeWithoutIdleFold(path)
            try await owner.write([.server(.channel(server)), .client(.channel(client))])
            #expect(owner.usesPaymentJournal)

            let reader = try SQLiteChannelStore(path: path)
            #expect(!reader.usesPaymentJournal)
            let journalWritesBefore = owner.statistics.journalWrites
            for n in 1...5 {
                try await owner.write([
                    .server(
                        .payment(
                            contractTxid: server.contractTxid,
                            bestValueToServer: try StoreFixtures.amount(Int64(n * 100)),
                            signature: StoreFixtures.signature(n)))
                ])
                try await owner.write([
                    .client(
                        .payment(
                            contractTxid: client.contractTxid, valueLeft: try StoreFixtures.amount(Int64(9_000 - n))))
                ])
                let seen = try await reader.serverChannel(contractTxid: server.contractTxid)
                #expect(seen?.bestValueToServer.satoshis == Int64(n * 100))
                #expect(seen?.bestSignature == StoreFixtures.signature(n))
                #expect(
                    try await reader.clientChannel(contractTxid: client.contractTxid)?.valueLeft.satoshis
                        == Int64(9_000 - n))
            }
            // The payments went to the owner's journal (a read by the reader folds nothing).
            #expect(owner.statistics.journalWrites - journalWritesBefore == 10)

            try await Self.expectRefusals(reader, server, value: 50)
            let prune = await #expect(throws: StoreError.self) {
                try await reader.pruneEndedChannels(endedBefore: .max)
            }
            #expect(prune?.kind == .io)
            // A refusal does not fail the reader: it still reads.
            #expect(
                try await reader.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 500)
            reader.close()

            // The owner was not disturbed; once it closes, the next store owns the journal.
            #expect(try await owner.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 500)
            owner.close()
            let next = try await JournalTesting.openOwning(path)
            defer { next.close() }
            #expect(next.usesPaymentJournal)
            #expect(
                try await next.serverChannel(contractTxid: server.contractTxid)?.bestSignature
                    == StoreFixtures.signature(5))
            #expect(try await next.clientChannel(contractTxid: client.contractTxid)?.valueLeft.satoshis == 8_995)
        }
    }

    @Test(
        "a store opened read-only never takes the journal: a store opened after it owns it, and it sees that store's payments and refuses writes"
    )
    func readOnlyStoreLeavesTheJournal() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try StoreFixtures.server(3)
            let first = try SQLiteChannelStore(path: path)
            try await first.write([.server(.channel(server))])
            first.close()

            // `paychan channels` polling a client that is starting: the reader opens first.
            let reader = try SQLiteChannelStore(path: path, readOnly: true)
            defer { reader.close() }
            #expect(!reader.usesPaymentJournal)
            let owner = try JournalTesting.storeWithoutIdleFold(path)
            #expect(owner.usesPaymentJournal)
            for n in 1...3 {
                try await owner.write([
                    .server(
                        .payment(
                            contractTxid: server.contractTxid,
                            bestValueToServer: try StoreFixtures.amount(Int64(n * 1_000)),
                            signature: StoreFixtures.signature(n)))
                ])
                #expect(
                    try await reader.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis
                        == Int64(n * 1_000))
            }
            #expect(owner.statistics.journalWrites == 3)
            owner.close()

            // Even with no owner left, the reader writes nothing and takes nothing.
            try await Self.expectRefusals(reader, server, value: 5_000)
            #expect(!reader.usesPaymentJournal)
            #expect(
                try await reader.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 3_000)
            let next = try await JournalTesting.openOwning(path)
            defer { next.close() }
            #expect(next.usesPaymentJournal)
        }
    }
}
