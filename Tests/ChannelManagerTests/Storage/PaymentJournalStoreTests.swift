import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Dispatch
import Foundation
import Testing

@_spi(StoreTesting) @testable import ChannelManager

/// The payment journal as the store uses it: a second store on the same file sees the owner's
/// journaled payments, idle and close fold them into the database, refusals still hold, and
/// the journal can be turned off.
@Suite("Payment journal in the store", .serialized)
struct PaymentJournalStoreTests {
    static var server: ServerChannelRecord { get throws { try StoreFixtures.server(110) } }
    static var client: ClientChannelRecord { get throws { try StoreFixtures.client(111) } }

    /// A store holding ``server`` and ``client``. Unless `idleFold`, nothing but its writes,
    /// reads and close folds its journal: a pause of a loaded machine cannot fold it under a
    /// test that counts commits or reads the journal file.
    static func storeWithChannels(
        _ path: String, clock: ManualClock = ManualClock(now: StoreFixtures.baseTime), paymentJournal: Bool = true,
        committer: SQLiteChannelStore.Committer = .dedicatedThread, idleFold: Bool = false
    ) async throws -> SQLiteChannelStore {
        let store = try SQLiteChannelStore(
            path: path, clock: clock, busyTimeout: 5, maxTicketsPerCommit: 4_096, committer: committer,
            paymentJournal: paymentJournal, readOnly: false,
            idleFoldNanoseconds: idleFold ? SQLitePaymentJournal.idleFoldNanoseconds : JournalTesting.noIdleFold)
        try await store.write([.server(.channel(try server)), .client(.channel(try client))])
        return store
    }

    @Test("a second store on an open store's file sees each acknowledged payment, before and after folds and close")
    func observerSeesJournaledPayments() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let client = try Self.client
            let owner = try await Self.storeWithChannels(path)
            var ownerClosed = false
            defer { if !ownerClosed { owner.close() } }
            let observer = try SQLiteChannelStore(path: path)
            defer { observer.close() }
            #expect(owner.usesPaymentJournal)
            #expect(!observer.usesPaymentJournal)

            var expectedServer = server
            var expectedClient = client
            func observerMatches() async throws {
                #expect(try await observer.serverChannel(contractTxid: server.contractTxid) == expectedServer)
                #expect(try await observer.serverChannels(in: [.open]) == [expectedServer])
                #expect(try await observer.clientChannel(contractTxid: client.contractTxid) == expectedClient)
                #expect(try await observer.clientChannels(serverID: client.serverID, in: [.open]) == [expectedClient])
            }
            // Reads through the overlay proven: the observer saw a value the database did not hold yet.
            var overlaid = 0
            for step in 1...12 {
                let value = Int64(5_000 + step)
                let signature = StoreFixtures.signature(step)
                let valueLeft = client.valueLeft.satoshis - Int64(step)
                let tickets = [
                    owner.enqueue([try JournalTesting.serverPayment(server, value, signature: signature)]),
                    owner.enqueue([try JournalTesting.clientPayment(client, valueLeft)]),
                ]
                for ticket in tickets { try await owner.waitUntilDurable(ticket) }
                expectedServer = try JournalTesting.applying(value, signature: signature, to: server)
                expectedClient = try JournalTesting.applying(valueLeft, to: client)
                try await observerMatches()
                if try JournalTesting.rawServerValue(path, server) != value,
                    try JournalTesting.rawClientValue(path, client) != valueLeft
                {
                    overlaid += 1
                }
            }
            // Under a heavy load every payment may have been folded before it was read: try again.
            guard overlaid > 0 else { return false }
            #expect(owner.statistics.journalWrites >= 12)

            // The owner folds (a read): the observer sees the same values from the rows.
            #expect(try await owner.serverChannel(contractTxid: server.contractTxid) == expectedServer)
            #expect(try JournalTesting.rawServerValue(path, server) == expectedServer.bestValueToServer.satoshis)
            try await observerMatches()

            // More payments, then the owner closes (folding them).
            try await owner.write([try JournalTesting.serverPayment(server, 9_000, signature: [9])])
            expectedServer = try JournalTesting.applying(9_000, signature: [9], to: server)
            try await observerMatches()
            owner.close()
            ownerClosed = true
            try await observerMatches()
            // With the owner gone, the observer's next write takes the journal over.
            #expect(!observer.usesPaymentJournal)
            try await observer.write([try JournalTesting.serverPayment(server, 9_500, signature: [10])])
            #expect(observer.usesPaymentJournal)
            #expect(observer.statistics.journalWrites == 1)
            expectedServer = try JournalTesting.applying(9_500, signature: [10], to: server)
            try await observerMatches()
            return true
        }
    }

    @Test("an idle store folds its journal: the file read directly has the last value")
    func idleFold() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let client = try Self.client
            let store = try await Self.storeWithChannels(path, idleFold: true)
            defer { store.close() }
            let commitsBefore = JournalTesting.sqliteCommits(store)
            // Each write is journaled unless the journal sat idle long enough before it for the
            // timer to ask for a fold, which then shares the write's commit. That cannot happen
            // when each write ended within the idle time of the previous one's start (a
            // journal write is stamped after it starts); a test process stalled longer may see it.
            let idle = Duration.nanoseconds(Int64(SQLitePaymentJournal.idleFoldNanoseconds))
            var previousStart: ContinuousClock.Instant?
            var withinIdleTime = true
            for step in 1...10 {
                let start = ContinuousClock.now
                let payment =
                    step % 2 == 1
                    ? try JournalTesting.serverPayment(
                        server, Int64(700 + (step + 1) / 2), signature: StoreFixtures.signature((step + 1) / 2))
                    : try JournalTesting.clientPayment(client, Int64(40 + step / 2))
                try await store.write([payment])
                if let previousStart, previousStart.duration(to: .now) >= idle { withinIdleTime = false }
                previousStart = start
            }
            if withinIdleTime {
                #expect(store.statistics.journalWrites == 10)
            } else {
                #expect((1...10).contains(store.statistics.journalWrites))
            }
            try await Task.sleep(for: .milliseconds(300))
            // Under a heavy load the timer may run late: give it a few seconds at most.
            let deadline = ContinuousClock.now + .seconds(5)
            while try JournalTesting.rawServerValue(path, server) != 705, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try JournalTesting.rawServerValue(path, server) == 705)
            #expect(try JournalTesting.rawClientValue(path, client) == 45)
            #expect(
                try RawDatabase.fetchStrings(
                    path, "SELECT hex(best_signature) FROM server_channels WHERE best_value_to_server = 705")
                    == [StoreFixtures.signature(5).map { String(format: "%02X", $0) }.joined()])
            // The fold was an SQLite transaction of its own, not a read's.
            #expect(JournalTesting.sqliteCommits(store) > commitsBefore)
        }
    }

    @Test("without the journal, every payment is an SQLite commit and the -paylog file is only the writer's lock")
    func journalOff() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let client = try Self.client
            do {
                let store = try await Self.storeWithChannels(path, paymentJournal: false)
                #expect(!store.usesPaymentJournal)
                for step in 1...5 {
                    try await store.write([
                        try JournalTesting.serverPayment(server, Int64(step), signature: [UInt8(step)])
                    ])
                    try await store.write([try JournalTesting.clientPayment(client, Int64(step))])
                }
                #expect(store.statistics.journalWrites == 0)
                #expect(store.statistics.commits == 11)
                #expect(try JournalTesting.rawServerValue(path, server) == 5)
                #expect(JournalTesting.fileSize(path + "-paylog") == 0)
                store.close()
            }
            #expect(JournalTesting.fileSize(path + "-paylog") == 0)
            let reopened = try SQLiteChannelStore(path: path, paymentJournal: false)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 5, signature: [5], client, left: 5)
            #expect(JournalTesting.fileSize(path + "-paylog") == 0)
        }
    }

    @Test(
        "a store without the journal still holds its lock: a read-write store opened beside it refuses writes until it closes, then takes over"
    )
    func journalOffKeepsOneWriter() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let first = try await Self.storeWithChannels(path, paymentJournal: false)
            try await first.write([try JournalTesting.serverPayment(server, 3, signature: [3])])
            // Opened after it, with the journal: it must not write the file meanwhile.
            let second = try SQLiteChannelStore(path: path)
            defer { second.close() }
            #expect(!second.usesPaymentJournal)
            let refused = await #expect(throws: StoreError.self) {
                try await second.write([try JournalTesting.serverPayment(server, 9, signature: [9])])
            }
            #expect(refused?.description.contains("read-only") == true)
            #expect(try await second.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 3)
            // The first one pays on alone, then closes; the second takes the file over.
            try await first.write([try JournalTesting.serverPayment(server, 4, signature: [4])])
            first.close()
            // (A child process another test forks may hold a copy of the lock for a moment:
            // see JournalTesting.openOwning. A refused write changes nothing; it is tried again.)
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                do {
                    try await second.write([try JournalTesting.serverPayment(server, 5, signature: [5])])
                    break
                } catch  where "\(error)".contains("read-only") && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(second.usesPaymentJournal)
            #expect(try await second.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 5)
        }
    }
    @Test("a payment for a channel never stored is refused while the rest of its journal batch is kept")
    func refusalInJournalBatch() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let client = try Self.client
            let unknownServer = try StoreFixtures.server(112)
            let unknownClient = try StoreFixtures.client(113)
            let thread = SerialWorkThread()
            defer { thread.stop() }
            let store = try await Self.storeWithChannels(path, committer: thread.committer)
            defer { store.close() }
            await thread.idle()
            let before = store.statistics
            // Hold the commit thread, so that every ticket below waits for one run.
            let gate = DispatchSemaphore(value: 0)
            thread.execute { gate.wait() }
            let writes = [
                try JournalTesting.serverPayment(server, 61, signature: [61]),
                try JournalTesting.serverPayment(unknownServer, 62, signature: [62]),
                try JournalTesting.clientPayment(client, 63),
                try JournalTesting.clientPayment(unknownClient, 64),
                try JournalTesting.serverPayment(server, 65, signature: [65]),
            ]
            let tickets = writes.map { store.enqueue([$0]) }
            gate.signal()
            var kinds: [StoreError.Kind?] = []
            for ticket in tickets {
                do {
                    try await store.waitUntilDurable(ticket)
                    kinds.append(nil)
                } catch let error as StoreError {
                    kinds.append(error.kind)
                }
            }
            #expect(kinds == [nil, .inconsistent, nil, .inconsistent, nil])
            // They shared one journal record.
            let after = store.statistics
            #expect(after.journalWrites - before.journalWrites == 1)
            #expect(after.refusedTickets - before.refusedTickets == 2)
            // The record holds the three accepted payments alone.
            let identity = try #require(try JournalTesting.identity(path))
            let records = try JournalTesting.records(inJournal: path + "-paylog", identity: identity, base: 0)
            #expect(records.map(\.entries) == [[writes[0], writes[2], writes[4]].compactMap(JournaledPayment.init)])
            try await JournalTesting.expectPaid(
                store, server, 65, signature: [65], client, left: 63)
            #expect(try await store.serverChannel(contractTxid: unknownServer.contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: unknownClient.contractTxid) == nil)
        }
    }

    @Test("after a prune deletes a channel, a payment for it is refused")
    func refusalAfterPrune() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let clock = ManualClock(now: 1_000)
            let ended = try StoreFixtures.server(114, variant: 1)
            let endedClient = try StoreFixtures.client(115, variant: 1)
            let store = try await Self.storeWithChannels(path, clock: clock)
            defer { store.close() }
            try await store.write([.server(.channel(ended)), .client(.channel(endedClient))])
            // Payments on them are journaled (and their channels remembered as stored).
            let journaled = store.statistics.journalWrites
            try await store.write([try JournalTesting.serverPayment(ended, 10, signature: [10])])
            try await store.write([try JournalTesting.clientPayment(endedClient, 11)])
            #expect(store.statistics.journalWrites == journaled + 2)
            clock.advance(to: 3_000)
            #expect(try await store.pruneEndedChannels(endedBefore: 2_000) == 2)

            let serverError = await #expect(throws: StoreError.self) {
                try await store.write([try JournalTesting.serverPayment(ended, 12, signature: [12])])
            }
            #expect(serverError?.kind == .inconsistent)
            let clientError = await #expect(throws: StoreError.self) {
                try await store.write([try JournalTesting.clientPayment(endedClient, 13)])
            }
            #expect(clientError?.kind == .inconsistent)
            #expect(try await store.serverChannel(contractTxid: ended.contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: endedClient.contractTxid) == nil)
            // The channels that were not pruned still take payments.
            try await store.write([try JournalTesting.serverPayment(try Self.server, 14, signature: [14])])
            #expect(
                try await store.serverChannel(contractTxid: try Self.server.contractTxid)?.bestValueToServer.satoshis
                    == 14)
        }
    }

    @Test("close folds: the database file alone, without its journal, has the last values", arguments: [false, true])
    func closeFolds(scheduled: Bool) async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try Self.server
            let client = try Self.client
            let thread = SerialWorkThread()
            defer { thread.stop() }
            let store = try await Self.storeWithChannels(
                path, committer: scheduled ? thread.committer : .dedicatedThread)
            let commitsBefore = JournalTesting.sqliteCommits(store)
            for step in 1...6 {
                try await store.write([
                    try JournalTesting.serverPayment(server, Int64(300 + step), signature: [UInt8(step)])
                ])
                try await store.write([try JournalTesting.clientPayment(client, Int64(30 + step))])
            }
            #expect(store.statistics.journalWrites == 12)
            // Nothing folded yet (else an idle fold, not the close, would have folded).
            guard JournalTesting.sqliteCommits(store) == commitsBefore else {
                store.close()
                return false
            }
            store.close()
            try FileManager.default.moveItem(atPath: path + "-paylog", toPath: path + "-moved")
            #expect(try JournalTesting.rawServerValue(path, server) == 306)
            #expect(try JournalTesting.rawClientValue(path, client) == 36)
            let reopened = try SQLiteChannelStore(path: path, paymentJournal: false)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 306, signature: [6], client, left: 36)
            return true
        }
    }
}
