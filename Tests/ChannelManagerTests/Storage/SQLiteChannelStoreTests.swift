import BitcoinPrimitives
@_spi(StoreTesting) import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import GRDB
import Testing

/// What only the SQLite store does: survive a reopen, batch commits, fail as a whole on a
/// database error, and keep the payment path cheap.
@Suite("SQLiteChannelStore")
struct SQLiteChannelStoreTests {
    @Test("everything written is there, field for field, after closing and reopening the file")
    func durableAcrossReopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let clock = ManualClock(now: 5_000)
            let servers = try (0..<3).map { try StoreFixtures.server(30 + $0, variant: $0) }
            let clients = try (0..<3).map { try StoreFixtures.client(40 + $0, variant: $0) }
            let outputs = try [
                StoreFixtures.walletOutput(1),
                StoreFixtures.walletOutput(2, spentBy: try StoreFixtures.hash(7, tag: 9)),
            ]
            var keys: [UInt32] = []
            do {
                let store = try SQLiteChannelStore(path: path, clock: clock)
                try await store.write(
                    servers.map { .server(.channel($0)) } + clients.map { .client(.channel($0)) }
                        + outputs.map { .walletOutputAdded($0) })
                keys.append(try await store.reserveKeyIndex(.clientChannel))
                keys.append(try await store.reserveKeyIndex(.clientChannel))
                store.close()
            }
            let store = try SQLiteChannelStore(path: path, clock: clock)
            defer { store.close() }
            for record in servers {
                #expect(try await store.serverChannel(contractTxid: record.contractTxid) == record)
            }
            for record in clients {
                #expect(try await store.clientChannel(contractTxid: record.contractTxid) == record)
            }
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == Set(outputs))
            keys.append(try await store.reserveKeyIndex(.clientChannel))
            #expect(keys == [0, 1, 2])
            // Ended channels keep their end time across the reopen.
            #expect(try await store.pruneEndedChannels(endedBefore: 5_001) == 2)
        }
    }

    @Test("1000 concurrent payment writes share commits")
    func groupCommit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteChannelStore(path: directory.appendingPathComponent("store.sqlite").path)
            defer { store.close() }
            let channels = try (0..<50).map { try StoreFixtures.server($0) }
            try await store.write(channels.map { .server(.channel($0)) })
            let before = store.statistics

            let count = 1_000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<count {
                    let channel = channels[n % channels.count]
                    group.addTask {
                        try await store.write([
                            .server(
                                .payment(
                                    contractTxid: channel.contractTxid,
                                    bestValueToServer: try StoreFixtures.amount(Int64(1_000 + n)),
                                    signature: StoreFixtures.signature(n)))
                        ])
                    }
                }
                try await group.waitForAll()
            }
            let after = store.statistics
            let commits = after.commits - before.commits
            let writes = after.writes - before.writes
            print("group commit: \(writes) payment writes in \(commits) commits (largest batch \(after.largestBatch))")
            #expect(writes == count)
            #expect(commits < count / 2)
            // Each channel holds its last payment (the writes of a channel ran in some order,
            // but every one was applied: the stored value is one of that channel's).
            for (index, channel) in channels.enumerated() {
                let stored = try #require(try await store.serverChannel(contractTxid: channel.contractTxid))
                let paid = Int(stored.bestValueToServer.satoshis) - 1_000
                #expect(paid % channels.count == index)
                #expect(stored.bestSignature == StoreFixtures.signature(paid))
            }
        }
    }

    @Test("a writer waiting for each write gets one commit per write, without added delay")
    func unbatchedLatency() async throws {
        try await withTemporaryDirectory { directory in
            // No idle fold: on a loaded machine a pause between two writes could put a fold in a
            // payment's batch, which then goes to SQLite instead of the journal.
            let store = try SQLiteChannelStore(
                path: directory.appendingPathComponent("store.sqlite").path, clock: SystemClock(), busyTimeout: 5,
                maxTicketsPerCommit: 4_096, committer: .dedicatedThread, paymentJournal: true, readOnly: false,
                idleFoldNanoseconds: 3_600_000_000_000)
            defer { store.close() }
            let channel = try StoreFixtures.client(1)
            try await store.write([.client(.channel(channel))])
            let before = store.statistics.journalWrites
            let count = 200
            let start = ContinuousClock.now
            for n in 1...count {
                try await store.write([
                    .client(.payment(contractTxid: channel.contractTxid, valueLeft: try StoreFixtures.amount(Int64(n))))
                ])
            }
            let elapsed = ContinuousClock.now - start
            print("unbatched: \(count) writes, each waited for, in \(elapsed) (\(elapsed / count) per commit)")
            // One payment journal write per payment (SQLite commits only fold the journal).
            #expect(store.statistics.journalWrites - before == count)
            #expect(try await store.clientChannel(contractTxid: channel.contractTxid)?.valueLeft.satoshis == 200)
        }
    }

    @Test("a batched run of payment writes: rate and commits")
    func paymentThroughput() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteChannelStore(path: directory.appendingPathComponent("store.sqlite").path)
            defer { store.close() }
            let servers = try (0..<100).map { try StoreFixtures.server($0) }
            let clients = try (0..<100).map { try StoreFixtures.client($0) }
            // Settled channels the payments must not be slowed by.
            var settled = try (1_000..<3_000).map { try StoreFixtures.server($0) }
            for index in settled.indices { settled[index].state = .settled }
            try await store.write(
                servers.map { .server(.channel($0)) } + clients.map { .client(.channel($0)) }
                    + settled.map { .server(.channel($0)) })
            let before = store.statistics
            let signature = StoreFixtures.signature(1)
            let rounds = 500
            let start = ContinuousClock.now
            var last = StoreTicket(sequence: 0)
            for round in 1...rounds {
                let value = try StoreFixtures.amount(Int64(round))
                for index in 0..<100 {
                    _ = store.enqueue([
                        .server(
                            .payment(
                                contractTxid: servers[index].contractTxid, bestValueToServer: value,
                                signature: signature
                            ))
                    ])
                    last = store.enqueue([
                        .client(.payment(contractTxid: clients[index].contractTxid, valueLeft: value))
                    ])
                }
            }
            let enqueued = ContinuousClock.now - start
            try await store.waitUntilDurable(last)
            let elapsed = ContinuousClock.now - start
            let after = store.statistics
            let writes = after.writes - before.writes
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "payment writes: \(writes) in \(after.commits - before.commits) commits, \(elapsed) "
                    + "(enqueue \(enqueued)): \(Int(Double(writes) / seconds)) writes/s")
            #expect(writes == rounds * 200)
            #expect(after.commits - before.commits < writes / 10)
            let final = try StoreFixtures.amount(Int64(rounds))
            for index in [0, 57, 99] {
                #expect(
                    try await store.serverChannel(contractTxid: servers[index].contractTxid)?.bestValueToServer == final
                )
                #expect(try await store.clientChannel(contractTxid: clients[index].contractTxid)?.valueLeft == final)
            }
        }
    }

    @Test("a database error fails its whole batch and the store; nothing half-written; a reopen recovers")
    func databaseErrorFailsTheStore() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let channels = try (0..<4).map { try StoreFixtures.server($0) }
            do {
                let store = try SQLiteChannelStore(path: path)
                try await store.write(channels.map { .server(.channel($0)) })
                store.close()
            }
            // A trigger makes one payment value fail inside SQLite, as a full disk would.
            try RawDatabase.execute(
                path,
                """
                CREATE TRIGGER fail_payment BEFORE UPDATE OF best_value_to_server ON server_channels
                WHEN NEW.best_value_to_server = 666 BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
            func payment(_ channel: Int, _ value: Int64) throws -> [StoreWrite] {
                [
                    .server(
                        .payment(
                            contractTxid: channels[channel].contractTxid,
                            bestValueToServer: try StoreFixtures.amount(value), signature: [UInt8(channel)]))
                ]
            }
            // Without the payment journal, so that the payments go through SQLite (and its trigger).
            let store = try SQLiteChannelStore(path: path, paymentJournal: false)
            // Another connection holds the write lock, so the writer stalls on the first ticket
            // and the next ones queue up into one batch behind it.
            let blocker = try RawDatabase.Blocker(path: path)
            let first = store.enqueue(try payment(0, 100))
            try await Task.sleep(for: .milliseconds(200))
            let tickets = [
                store.enqueue(try payment(1, 200)), store.enqueue(try payment(2, 666)),
                store.enqueue(try payment(3, 300)),
            ]
            try blocker.release()

            try await store.waitUntilDurable(first)
            var errors: [StoreError] = []
            for ticket in tickets {
                let error = await #expect(throws: StoreError.self) { try await store.waitUntilDurable(ticket) }
                if let error { errors.append(error) }
            }
            // The bad write's batch failed as a whole: the good writes before and after it too.
            #expect(errors.map(\.kind) == [.io, .io, .io])
            #expect(errors.allSatisfy { $0.message.contains("injected failure") })

            // The store is failed: writes, reservations and reads all refuse.
            let next = await #expect(throws: StoreError.self) { try await store.write(try payment(0, 400)) }
            #expect(next?.kind == .failed)
            let read = await #expect(throws: StoreError.self) {
                try await store.serverChannel(contractTxid: channels[0].contractTxid)
            }
            #expect(read?.kind == .failed)
            let reserve = await #expect(throws: StoreError.self) { try await store.reserveKeyIndex(.serverChannel) }
            #expect(reserve?.kind == .failed)
            store.close()

            try RawDatabase.execute(path, "DROP TRIGGER fail_payment")
            let reopened = try SQLiteChannelStore(path: path)
            defer { reopened.close() }
            #expect(
                try await reopened.serverChannel(contractTxid: channels[0].contractTxid)?.bestValueToServer.satoshis
                    == 100)
            for index in 1..<4 {
                #expect(try await reopened.serverChannel(contractTxid: channels[index].contractTxid) == channels[index])
            }
            try await reopened.write(try payment(2, 667))
            #expect(
                try await reopened.serverChannel(contractTxid: channels[2].contractTxid)?.bestValueToServer.satoshis
                    == 667)
        }
    }

    @Test("a store dropped without close stops its writer and leaves a file that reopens")
    func deinitCloses() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let channel = try StoreFixtures.server(1)
            for _ in 0..<3 {
                var store: SQLiteChannelStore? = try SQLiteChannelStore(path: path)
                try await store?.write([.server(.channel(channel))])
                store = nil
                #expect(store == nil)
            }
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            #expect(try await store.serverChannels(in: [.open]) == [channel])
        }
    }

    @Test("a long queue is committed in bounded transactions")
    func boundedBatches() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteChannelStore(
                path: directory.appendingPathComponent("store.sqlite").path, maxTicketsPerCommit: 100)
            defer { store.close() }
            let channel = try StoreFixtures.server(1)
            try await store.write([.server(.channel(channel))])
            var last = StoreTicket(sequence: 0)
            for n in 1...1_000 {
                last = store.enqueue([
                    .server(
                        .payment(
                            contractTxid: channel.contractTxid, bestValueToServer: try StoreFixtures.amount(Int64(n)),
                            signature: [1]))
                ])
            }
            try await store.waitUntilDurable(last)
            let statistics = store.statistics
            #expect(statistics.largestBatch <= 100)
            #expect(statistics.commits >= 11)
            #expect(statistics.writes == 1_001)
            #expect(
                try await store.serverChannel(contractTxid: channel.contractTxid)?.bestValueToServer.satoshis == 1_000)
        }
    }

    @Test("close commits what is queued; afterwards everything fails with .failed")
    func closeDrainsThenRefuses() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let channel = try StoreFixtures.server(1)
            let store = try SQLiteChannelStore(path: path)
            let ticket = store.enqueue([.server(.channel(channel))])
            store.close()
            try await store.waitUntilDurable(ticket)
            let write = await #expect(throws: StoreError.self) { try await store.write([.server(.channel(channel))]) }
            #expect(write?.kind == .failed)
            let read = await #expect(throws: StoreError.self) { try await store.serverChannels(in: [.open]) }
            #expect(read?.kind == .failed)
            store.close()

            let reopened = try SQLiteChannelStore(path: path)
            defer { reopened.close() }
            #expect(try await reopened.serverChannel(contractTxid: channel.contractTxid) == channel)
        }
    }

    @Test("the file is in WAL mode and its hot statements use indexes")
    func queryPlans() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let store = try SQLiteChannelStore(path: path)
            store.close()
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            try await queue.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
                #expect(try Int32.fetchOne(db, sql: "PRAGMA application_id") == SQLiteSchema.applicationID)
                func plan(_ sql: String) throws -> String {
                    let nulls = StatementArguments(Array(repeating: DatabaseValue.null, count: sql.count { $0 == "?" }))
                    return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: nulls).map {
                        row -> String in
                        row["detail"] ?? ""
                    }.joined(separator: "; ")
                }
                let expectations: [(SQLiteWriteSQL, String)] = [
                    (.serverPayment, "USING INDEX sqlite_autoindex_server_channels_1"),
                    (.serverState, "USING INDEX sqlite_autoindex_server_channels_1"),
                    (.clientPayment, "USING INDEX sqlite_autoindex_client_channels_1"),
                    (.clientState, "USING INDEX sqlite_autoindex_client_channels_1"),
                    (.walletSpend, "USING INDEX sqlite_autoindex_wallet_outputs_1"),
                    (.walletAbandon, "USING INDEX wallet_outputs_spent_by"),
                    (.pruneServer, "USING INDEX server_channels_ended_at"),
                    (.pruneClient, "USING INDEX client_channels_ended_at"),
                ]
                for (statement, expected) in expectations {
                    let detail = try plan(statement.sql)
                    #expect(detail.contains(expected), "\(statement): \(detail)")
                }
                let byServer = try plan(
                    "SELECT * FROM client_channels WHERE state IN ('open', 'opening') AND server_id = 'x'")
                #expect(byServer.contains("USING INDEX client_channels_server_state"), "\(byServer)")
                let byState = try plan("SELECT * FROM server_channels WHERE state IN ('open', 'opening')")
                #expect(byState.contains("USING INDEX server_channels_state"), "\(byState)")
            }
        }
    }
}

/// Direct access to a store's file, bypassing the store (to tamper with it in tests).
enum RawDatabase {
    /// Holds the file's write lock (an open `BEGIN IMMEDIATE`) until released.
    final class Blocker {
        private let queue: DatabaseQueue

        init(path: String) throws {
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        }

        func release() throws {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            try queue.close()
        }
    }

    static func execute(_ path: String, _ sql: String, arguments: StatementArguments = StatementArguments()) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    static func fetchStrings(_ path: String, _ sql: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: sql) }
    }
}
