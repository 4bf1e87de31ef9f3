import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

@testable import ChannelManager

/// Crash images of a store with a payment journal: the files copied while the store is open and
/// idle, after payments were acknowledged and before any read or close (what a kill at that
/// instant leaves), then opened as a store of their own.
@Suite("Payment journal replay", .serialized)
struct PaymentJournalReplayTests {
    static var servers: [ServerChannelRecord] { get throws { try (0..<2).map { try StoreFixtures.server(70 + $0) } } }
    static var clients: [ClientChannelRecord] { get throws { try (0..<2).map { try StoreFixtures.client(80 + $0) } } }

    /// A new store at `path` holding ``servers`` and ``clients`` (one SQLite commit).
    static func storeWithChannels(_ path: String, paymentJournal: Bool = true) async throws -> SQLiteChannelStore {
        let store = try JournalTesting.storeWithoutIdleFold(path, paymentJournal: paymentJournal)
        try await store.write(try servers.map { .server(.channel($0)) } + clients.map { .client(.channel($0)) })
        return store
    }

    static func paths(_ directory: URL) -> (live: String, image: String, second: String) {
        (
            directory.appendingPathComponent("store.sqlite").path,
            directory.appendingPathComponent("image.sqlite").path,
            directory.appendingPathComponent("second.sqlite").path
        )
    }

    @Test("every payment acknowledged before the image is in it: exact values and signatures, both roles")
    func acknowledgedPaymentsReplay() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, _) = Self.paths(directory)
            let store = try await Self.storeWithChannels(live)
            defer { store.close() }
            try #require(store.usesPaymentJournal)
            let foldedBefore = try JournalTesting.folded(live)
            let commitsBefore = JournalTesting.sqliteCommits(store)
            var servers = try Self.servers
            var clients = try Self.clients
            // One payment per record, channel after channel...
            for round in 0..<5 {
                for index in servers.indices {
                    let value = Int64(10_000 + round * 100 + index)
                    let signature = StoreFixtures.signature(round * 10 + index)
                    try await store.write([
                        try JournalTesting.serverPayment(servers[index], value, signature: signature)
                    ])
                    servers[index] = try JournalTesting.applying(value, signature: signature, to: servers[index])
                }
                for index in clients.indices {
                    let valueLeft = clients[index].valueLeft.satoshis - 1_000
                    try await store.write([try JournalTesting.clientPayment(clients[index], valueLeft)])
                    clients[index] = try JournalTesting.applying(valueLeft, to: clients[index])
                }
            }
            // ...then every channel at once (tickets that may share a record).
            var tickets: [StoreTicket] = []
            for index in servers.indices {
                let signature = StoreFixtures.signature(900 + index)
                tickets.append(
                    store.enqueue([try JournalTesting.serverPayment(servers[index], 50_000, signature: signature)]))
                servers[index] = try JournalTesting.applying(50_000, signature: signature, to: servers[index])
            }
            for index in clients.indices {
                let valueLeft = clients[index].valueLeft.satoshis - 7
                tickets.append(store.enqueue([try JournalTesting.clientPayment(clients[index], valueLeft)]))
                clients[index] = try JournalTesting.applying(valueLeft, to: clients[index])
            }
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            try JournalTesting.copyImage(of: live, to: image)

            // The payments must be in the journal alone: no fold since they began.
            guard JournalTesting.sqliteCommits(store) == commitsBefore, try JournalTesting.folded(image) == foldedBefore
            else { return false }
            #expect(store.statistics.journalWrites >= 21)
            // The database alone still has the values from before the payments.
            #expect(
                try JournalTesting.rawServerValue(image, try Self.servers[0])
                    == (try Self.servers[0]).bestValueToServer.satoshis)

            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            for server in servers {
                #expect(try await reopened.serverChannel(contractTxid: server.contractTxid) == server)
            }
            for client in clients {
                #expect(try await reopened.clientChannel(contractTxid: client.contractTxid) == client)
            }
            #expect(Set(try await reopened.serverChannels(in: [.open])) == Set(servers))
            #expect(Set(try await reopened.clientChannels(serverID: nil, in: [.open])) == Set(clients))
            // The replay was folded into the database.
            #expect(try JournalTesting.rawServerValue(image, servers[0]) == 50_000)
            #expect(try JournalTesting.folded(image).map { $0 > (foldedBefore ?? 0) } == true)
            return true
        }
    }

    @Test("a torn last record loses only its own payment; the records before it replay")
    func tornLastRecord() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, _) = Self.paths(directory)
            let store = try await Self.storeWithChannels(live)
            defer { store.close() }
            let server = try Self.servers[0]
            let client = try Self.clients[0]
            let foldedBefore = try #require(try JournalTesting.folded(live))
            for step in 1...4 {
                try await store.write([
                    try JournalTesting.serverPayment(
                        server, Int64(100 + step), signature: StoreFixtures.signature(step))
                ])
                try await store.write([try JournalTesting.clientPayment(client, 1_000_000 - Int64(step))])
            }
            try await store.write([
                try JournalTesting.serverPayment(server, 200, signature: StoreFixtures.signature(200))
            ])
            try JournalTesting.copyImage(of: live, to: image)

            let identity = try #require(try JournalTesting.identity(image))
            guard try JournalTesting.folded(image) == foldedBefore else { return false }
            let records = try JournalTesting.records(
                inJournal: image + "-paylog", identity: identity, base: foldedBefore)
            guard records.count == 9 else { return false }
            let last = try #require(records.last)
            #expect(
                last.entries == [
                    JournaledPayment(
                        try JournalTesting.serverPayment(server, 200, signature: StoreFixtures.signature(200)))
                ])
            // Tear it: one byte inside its payload.
            try JournalTesting.flipByte(
                inFile: image + "-paylog", at: last.offset + PaymentJournalRecord.headerSize + 10)
            #expect(
                try JournalTesting.records(inJournal: image + "-paylog", identity: identity, base: foldedBefore).count
                    == 8)

            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 104, signature: StoreFixtures.signature(4), client, left: 1_000_000 - 4)
            #expect(
                try await reopened.serverChannel(contractTxid: (try Self.servers[1]).contractTxid)
                    == (try Self.servers[1]))
            return true
        }
    }

    @Test("records of an earlier cycle, still in later blocks of the file, are never replayed")
    func staleCycleIgnored() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, second) = Self.paths(directory)
            let store = try await Self.storeWithChannels(live)
            defer { store.close() }
            let server = try Self.servers[0]
            func pay(_ value: Int64) async throws {
                try await store.write([
                    try JournalTesting.serverPayment(server, value, signature: StoreFixtures.signature(Int(value)))
                ])
            }
            let firstBase = try #require(try JournalTesting.folded(live))
            for value in stride(from: 10, through: 50, by: 10) { try await pay(Int64(value)) }
            // A read folds: the journal starts over at its first block.
            #expect(try await store.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 50)
            let secondBase = try #require(try JournalTesting.folded(live))
            try await pay(60)
            try JournalTesting.copyImage(of: live, to: image)

            let identity = try #require(try JournalTesting.identity(image))
            guard try JournalTesting.folded(image) == secondBase, secondBase == firstBase + 5 else { return false }
            // The image's journal: 60 in block 0 of the new cycle; 20 to 50 left in blocks 1 to 4.
            let current = try JournalTesting.records(inJournal: image + "-paylog", identity: identity, base: secondBase)
            guard current.count == 1 else { return false }
            let stale = try JournalTesting.records(
                inJournal: image + "-paylog", identity: identity, base: firstBase,
                from: PaymentJournalRecord.blockSize, firstSequence: firstBase + 2)
            let staleValues = stale.flatMap(\.entries).compactMap { entry -> Int64? in
                if case .server(_, let value, _) = entry { value.satoshis } else { nil }
            }
            guard staleValues == [20, 30, 40, 50] else { return false }

            // A second image, whose 60 record is torn.
            try JournalTesting.copyImage(of: image, to: second)
            try JournalTesting.flipByte(inFile: second + "-paylog", at: PaymentJournalRecord.headerSize + 10)

            do {
                let reopened = try SQLiteChannelStore(path: image)
                defer { reopened.close() }
                #expect(
                    try await reopened.serverChannel(contractTxid: server.contractTxid)
                        == JournalTesting.applying(60, signature: StoreFixtures.signature(60), to: server))
            }
            let torn = try SQLiteChannelStore(path: second)
            #expect(
                try await torn.serverChannel(contractTxid: server.contractTxid)
                    == JournalTesting.applying(50, signature: StoreFixtures.signature(50), to: server))
            // It goes on from there: a payment journaled over the torn record replays.
            try await torn.write([try JournalTesting.serverPayment(server, 70, signature: StoreFixtures.signature(70))])
            let third = directory.appendingPathComponent("third.sqlite").path
            try JournalTesting.copyImage(of: second, to: third)
            torn.close()
            let again = try SQLiteChannelStore(path: third)
            defer { again.close() }
            #expect(try await again.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 70)
            return true
        }
    }

    @Test("a journal copied from another database is ignored: the values are those in SQLite")
    func foreignJournalIgnored() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            let (live, image, second) = Self.paths(directory)
            let server = try Self.servers[0]
            let client = try Self.clients[0]
            // The other database: the same channels, payments journaled, imaged unfolded.
            let other = try await Self.storeWithChannels(live)
            defer { other.close() }
            for step in 1...3 {
                try await other.write([
                    try JournalTesting.serverPayment(
                        server, Int64(900 + step), signature: StoreFixtures.signature(step))
                ])
                try await other.write([try JournalTesting.clientPayment(client, Int64(step))])
            }
            try JournalTesting.copyImage(of: live, to: image)
            let otherIdentity = try #require(try JournalTesting.identity(image))
            guard try JournalTesting.folded(image) == 0,
                try JournalTesting.records(inJournal: image + "-paylog", identity: otherIdentity, base: 0).count == 6
            else { return false }

            // This database: the same channels, its own payments in SQLite, its journal never used.
            do {
                let store = try await Self.storeWithChannels(second, paymentJournal: false)
                try await store.write([try JournalTesting.serverPayment(server, 7, signature: [7])])
                try await store.write([try JournalTesting.clientPayment(client, 5)])
                store.close()
            }
            // Its journal file is only the writer's lock: empty.
            #expect(JournalTesting.fileSize(second + "-paylog") == 0)
            let identity = try #require(try JournalTesting.identity(second))
            #expect(identity != otherIdentity)
            // Only the identity tells the journals apart: the same base and sequence numbers.
            #expect(try JournalTesting.folded(second) == 0)
            try FileManager.default.removeItem(atPath: second + "-paylog")
            try FileManager.default.copyItem(atPath: image + "-paylog", toPath: second + "-paylog")

            let reopened = try SQLiteChannelStore(path: second)
            defer { reopened.close() }
            try await JournalTesting.expectPaid(
                reopened, server, 7, signature: [7], client, left: 5)
            #expect(
                try await reopened.serverChannel(contractTxid: (try Self.servers[1]).contractTxid)
                    == (try Self.servers[1]))
            return true
        }
    }

    @Test("a full journal folds and goes on: every value is there after a crash image")
    func fullJournal() async throws {
        // Enough to fill the journal twice and go on.
        let blocks = SQLitePaymentJournal.defaultBlocks
        let payments = 2 * blocks + 88
        try await withTemporaryDirectory { directory in
            let (live, image, _) = Self.paths(directory)
            // One ticket per commit: each payment is a record of its own. All are queued at once,
            // so that an idle fold (queued behind them) cannot split the run.
            let store = try JournalTesting.storeWithoutIdleFold(live, maxTicketsPerCommit: 1)
            defer { store.close() }
            try await store.write(
                try Self.servers.map { .server(.channel($0)) } + Self.clients.map { .client(.channel($0)) })
            let server = try Self.servers[1]
            let client = try Self.clients[1]
            var tickets: [StoreTicket] = []
            var lastServer = server
            var lastClient = client
            for index in 1...payments {
                if index % 2 == 1 {
                    let signature = StoreFixtures.signature(index)
                    tickets.append(
                        store.enqueue([try JournalTesting.serverPayment(server, Int64(index), signature: signature)]))
                    lastServer = try JournalTesting.applying(Int64(index), signature: signature, to: server)
                } else {
                    tickets.append(store.enqueue([try JournalTesting.clientPayment(client, Int64(payments - index))]))
                    lastClient = try JournalTesting.applying(Int64(payments - index), to: client)
                }
            }
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            try JournalTesting.copyImage(of: live, to: image)

            // `blocks` records fill the journal; the next payment goes to SQLite (folding them), twice.
            let statistics = store.statistics
            #expect(payments - statistics.journalWrites == payments / (blocks + 1))
            #expect(statistics.commits - statistics.journalWrites >= 2)
            let folded = try #require(try JournalTesting.folded(image))
            let identity = try #require(try JournalTesting.identity(image))
            let lastFullFold = UInt64(2 * blocks)
            let journaled = UInt64(statistics.journalWrites)
            // The image holds the last cycle's payments in its journal alone, unless an idle fold
            // (queued behind the payments) already folded them.
            #expect(folded == lastFullFold || folded == journaled)
            if folded == lastFullFold {
                #expect(
                    try JournalTesting.records(inJournal: image + "-paylog", identity: identity, base: folded).count
                        == Int(journaled - lastFullFold))
            }

            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            #expect(try await reopened.serverChannel(contractTxid: server.contractTxid) == lastServer)
            #expect(try await reopened.clientChannel(contractTxid: client.contractTxid) == lastClient)
            #expect(
                try await reopened.serverChannel(contractTxid: (try Self.servers[0]).contractTxid)
                    == (try Self.servers[0]))
        }
    }
}
