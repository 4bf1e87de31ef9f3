import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Dispatch
import Foundation
import Testing

@testable import ChannelManager

/// Crash images at the edges: a record paying one channel twice, a store opened without the
/// journal, a signature too long for a journal entry.
extension PaymentJournalReplayTests {
    @Test("a record paying one channel several times replays the last payment")
    func sameChannelTwiceInOneRecord() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, _) = Self.paths(directory)
            let thread = SerialWorkThread()
            defer { thread.stop() }
            let store = try JournalTesting.storeWithoutIdleFold(live, committer: thread.committer)
            defer { store.close() }
            try await store.write(
                try Self.servers.map { .server(.channel($0)) } + Self.clients.map { .client(.channel($0)) })
            let server = try Self.servers[0]
            let client = try Self.clients[0]
            await thread.idle()
            let before = store.statistics
            // One run takes every ticket: one record.
            let gate = DispatchSemaphore(value: 0)
            thread.execute { gate.wait() }
            let tickets = [
                store.enqueue([try JournalTesting.serverPayment(server, 3_001, signature: [1])]),
                store.enqueue([try JournalTesting.clientPayment(client, 901)]),
                store.enqueue([try JournalTesting.serverPayment(server, 3_002, signature: [2])]),
                store.enqueue([try JournalTesting.clientPayment(client, 900)]),
                store.enqueue([try JournalTesting.serverPayment(server, 3_003, signature: [3])]),
            ]
            gate.signal()
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            await thread.idle()
            try JournalTesting.copyImage(of: live, to: image)
            guard JournalTesting.sqliteCommits(store) == before.commits - before.journalWrites else { return false }
            #expect(store.statistics.journalWrites - before.journalWrites == 1)
            let identity = try #require(try JournalTesting.identity(image))
            let records = try JournalTesting.records(inJournal: image + "-paylog", identity: identity, base: 0)
            #expect(records.map(\.entries.count) == [5])

            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 3_003, signature: [3], client, left: 900)
            return true
        }
    }

    @Test("one contract stored as both a server and a client channel: folding and replay keep both payments")
    func oneTxidBothRoles() async throws {
        try await withTemporaryDirectory { directory in
            let (live, image, _) = Self.paths(directory)
            // A demo running both sides in one store stores the same contract twice.
            let server = try StoreFixtures.server(1)
            var client = try StoreFixtures.client(1)
            client.contract = server.contract
            client.contractTxid = server.contractTxid
            let store = try JournalTesting.storeWithoutIdleFold(live)
            try await store.write([.server(.channel(server)), .client(.channel(client))])
            try await store.write([try JournalTesting.serverPayment(server, 4_321, signature: [4])])
            try await store.write([try JournalTesting.clientPayment(client, 765)])
            // The image holds both payments in the journal alone; the live store folds on close.
            try JournalTesting.copyImage(of: live, to: image)
            store.close()
            #expect(try JournalTesting.rawServerValue(live, server) == 4_321)
            #expect(try JournalTesting.rawClientValue(live, client) == 765)

            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 4_321, signature: [4], client, left: 765)
        }
    }

    @Test("a store opened without the journal still replays the one an earlier run left")
    func replayWithJournalOff() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, _) = Self.paths(directory)
            let store = try await Self.storeWithChannels(live)
            defer { store.close() }
            let server = try Self.servers[1]
            let client = try Self.clients[1]
            let commitsBefore = JournalTesting.sqliteCommits(store)
            for step in 1...3 {
                try await store.write([
                    try JournalTesting.serverPayment(server, Int64(4_000 + step), signature: [UInt8(step)])
                ])
                try await store.write([try JournalTesting.clientPayment(client, Int64(500 - step))])
            }
            try JournalTesting.copyImage(of: live, to: image)
            guard JournalTesting.sqliteCommits(store) == commitsBefore, try JournalTesting.folded(image) == 0 else {
                return false
            }

            do {
                let reopened = try SQLiteChannelStore(path: image, paymentJournal: false)
                defer { reopened.close() }
                #expect(!reopened.usesPaymentJournal)
                #expect(try JournalTesting.rawServerValue(image, server) == 4_003)
                #expect(try JournalTesting.folded(image) == 6)
                try await JournalTesting.expectPaid(
                    reopened, server, 4_003, signature: [3], client, left: 497)
                // Its own payments go to SQLite, and are not undone by the old journal later.
                try await reopened.write([try JournalTesting.serverPayment(server, 4_100, signature: [9])])
                #expect(reopened.statistics.journalWrites == 0)
            }
            let again = try SQLiteChannelStore(path: image)
            defer { again.close() }
            #expect(
                try await again.serverChannel(contractTxid: server.contractTxid)
                    == JournalTesting.applying(4_100, signature: [9], to: server))
            return true
        }
    }

    @Test("a payment whose signature is too long for a journal entry is committed to SQLite, and kept")
    func longSignatureBypassesJournal() async throws {
        try await withTemporaryDirectory { directory in
            let (live, image, _) = Self.paths(directory)
            let store = try await Self.storeWithChannels(live)
            defer { store.close() }
            let server = try Self.servers[0]
            let long = (0..<(PaymentJournalRecord.maxSignatureLength + 1)).map { UInt8(truncatingIfNeeded: $0) }
            let longest = (0..<PaymentJournalRecord.maxSignatureLength).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let before = store.statistics
            try await store.write([try JournalTesting.serverPayment(server, 5_001, signature: long)])
            #expect(store.statistics.journalWrites == before.journalWrites)
            #expect(try JournalTesting.rawServerValue(live, server) == 5_001)
            try await store.write([try JournalTesting.serverPayment(server, 5_002, signature: longest)])
            #expect(store.statistics.journalWrites == before.journalWrites + 1)
            try JournalTesting.copyImage(of: live, to: image)
            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            #expect(
                try await reopened.serverChannel(contractTxid: server.contractTxid)
                    == JournalTesting.applying(5_002, signature: longest, to: server))
            #expect(
                try await store.serverChannel(contractTxid: server.contractTxid)
                    == JournalTesting.applying(5_002, signature: longest, to: server))
        }
    }
}
