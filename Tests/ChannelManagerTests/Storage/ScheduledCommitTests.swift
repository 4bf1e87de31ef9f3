import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import GRDB
import Synchronization
import Testing

/// An SQLite store whose commits run where its owner schedules them
/// (``SQLiteChannelStore/Committer/scheduled(_:)``): one run at a time, each committing all
/// that is queued and calling back on its thread, and a close that neither loses a write nor
/// deadlocks, whatever state the run is in.
///
/// Tests that could hang on a bug (a close that never returns) wait with a timeout and do not
/// close or stop anything in a `defer`, so that a failure is reported rather than hung on.
@Suite("SQLite store with scheduled commits")
struct ScheduledCommitTests {
    /// What a `notifyWhenDurable` callback saw.
    struct Callback: Sendable {
        let index: Int
        let onRunThread: Bool
        let error: StoreError?
        let commits: Int
        let rowsInFile: Int
    }

    static func record(_ n: Int) throws -> ServerChannelRecord { try StoreFixtures.server(200 + n) }

    static func channel(_ n: Int) throws -> [StoreWrite] { [.server(.channel(try record(n)))] }

    /// Server channels in the file, counted on a connection of its own (what a commit made durable).
    static func rowsInFile(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM server_channels") ?? -1 }
    }

    /// The server channels a fresh store opened on `path` reads.
    static func reopenedChannels(_ path: String) async throws -> Set<ServerChannelRecord> {
        let store = try SQLiteChannelStore(path: path)
        defer { store.close() }
        return Set(try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases)))
    }

    static func failure(_ result: Result<Void, StoreError>) -> StoreError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    @Test("a held run commits every write queued meanwhile in one commit, then calls back on its thread")
    func oneCommitPerRun() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            defer { thread.stop() }
            let runs = HeldRuns()
            let store = try SQLiteChannelStore(path: path, committer: runs.committer)
            defer { store.close() }
            let count = 20
            let callbacks = Notes<Callback>()
            var tickets: [StoreTicket] = []
            for index in 0..<count {
                let ticket = store.enqueue(try Self.channel(index))
                tickets.append(ticket)
                let immediate = store.notifyWhenDurable(ticket) { result in
                    callbacks.append(
                        Callback(
                            index: index, onRunThread: thread.isCurrent, error: Self.failure(result),
                            commits: store.statistics.commits, rowsInFile: (try? Self.rowsInFile(path)) ?? -1))
                }
                #expect(immediate == nil)
            }
            #expect(runs.scheduled == 1)
            #expect(store.statistics.commits == 0)
            #expect(try Self.rowsInFile(path) == 0)
            #expect(callbacks.all.isEmpty)

            #expect(runs.release(to: thread) == 1)
            await thread.idle()
            let statistics = store.statistics
            #expect(statistics.commits == 1)
            #expect(statistics.tickets == count)
            #expect(statistics.writes == count)
            #expect(statistics.largestBatch == count)
            let seen = callbacks.all
            #expect(seen.map(\.index) == Array(0..<count))
            for callback in seen {
                #expect(callback.onRunThread, "callback \(callback.index) ran off the run's thread")
                #expect(callback.error == nil)
                // Called after the commit: counted, and in the file for another connection.
                #expect(callback.commits == 1)
                #expect(callback.rowsInFile == count)
            }
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            #expect(runs.scheduled == 1)
            store.close()
            #expect(try await Self.reopenedChannels(path) == Set((0..<count).map(Self.record)))
        }
    }

    @Test("at most one run is scheduled at a time; writes queued during a run get exactly one more")
    func oneRunAtATime() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            let runs = HeldRuns()
            let store = try SQLiteChannelStore(path: path, committer: runs.committer)
            let gate = Gate()
            let first = store.enqueue(try Self.channel(0))
            #expect(store.notifyWhenDurable(first) { _ in gate.pass() } == nil)
            for index in 1..<5 { _ = store.enqueue(try Self.channel(index)) }
            #expect(runs.scheduled == 1)
            #expect(runs.holding == 1)

            runs.release(to: thread)
            try await eventually("the run calls back") { gate.arrivals == 1 }
            // The run is under way (blocked in a callback): writes queue without scheduling.
            let later = try (5..<10).map { store.enqueue(try Self.channel($0)) }
            #expect(runs.scheduled == 1)
            #expect(store.statistics.commits == 1)
            gate.open()
            try await eventually("the run schedules the next") { runs.scheduled == 2 }
            await thread.idle()
            #expect(runs.scheduled == 2)
            #expect(runs.holding == 1)
            #expect(store.statistics.commits == 1)

            runs.release(to: thread)
            for ticket in later { try await store.waitUntilDurable(ticket) }
            #expect(store.statistics.commits == 2)
            #expect(store.statistics.tickets == 10)
            #expect(store.statistics.largestBatch == 5)
            await thread.idle()
            #expect(runs.scheduled == 2)

            // Idle again: the next write schedules one run.
            let last = store.enqueue(try Self.channel(10))
            let more = store.enqueue(try Self.channel(11))
            #expect(runs.scheduled == 3)
            runs.release(to: thread)
            try await store.waitUntilDurable(last)
            try await store.waitUntilDurable(more)
            #expect(store.statistics.commits == 3)
            #expect(runs.scheduled == 3)
            store.close()
            thread.stop()
            #expect(try await Self.reopenedChannels(path) == Set((0..<12).map(Self.record)))
        }
    }

    @Test("close takes over a run scheduled but never started; the run does nothing when it finally runs")
    func closeTakesOverAHeldRun() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            let runs = HeldRuns()
            let store = try SQLiteChannelStore(path: path, committer: runs.committer)
            let count = 10
            let callbacks = Notes<Callback>()
            var tickets: [StoreTicket] = []
            for index in 0..<count {
                let ticket = store.enqueue(try Self.channel(index))
                tickets.append(ticket)
                _ = store.notifyWhenDurable(ticket) { result in
                    callbacks.append(
                        Callback(
                            index: index, onRunThread: thread.isCurrent, error: Self.failure(result),
                            commits: store.statistics.commits, rowsInFile: 0))
                }
            }
            #expect(runs.holding == 1)

            // The held run never runs before close: close commits everything on this thread.
            store.close()
            #expect(callbacks.all.count == count)
            #expect(callbacks.all.allSatisfy { $0.error == nil && !$0.onRunThread && $0.commits == 1 })
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            let afterClose = store.statistics
            #expect(afterClose.commits == 1)
            #expect(afterClose.tickets == count)
            let refused = await #expect(throws: StoreError.self) { try await store.write(try Self.channel(99)) }
            #expect(refused?.kind == .failed)
            #expect(runs.scheduled == 1)
            let records = Set(try (0..<count).map(Self.record))
            #expect(try await Self.reopenedChannels(path) == records)

            // The held run, executed at last (while another store has the file open), does nothing.
            let reopened = try SQLiteChannelStore(path: path)
            #expect(runs.release(to: thread) == 1)
            await thread.idle()
            #expect(store.statistics == afterClose)
            #expect(callbacks.all.count == count)
            #expect(runs.scheduled == 1)
            try await reopened.write(try Self.channel(count))
            reopened.close()
            thread.stop()
            #expect(try await Self.reopenedChannels(path) == records.union([try Self.record(count)]))
        }
    }

    @Test("close called by a callback on the run's thread returns at once; the run commits what was queued")
    func closeFromACallback() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            let runs = HeldRuns()
            // One ticket per commit: the callback closes between the run's commits.
            let store = try SQLiteChannelStore(path: path, maxTicketsPerCommit: 1, committer: runs.committer)
            let events = Notes<String>()
            let queuedInCallback = Mutex<StoreTicket?>(nil)
            let afterClose = Mutex<Result<Void, StoreError>?>(nil)
            let first = store.enqueue(try Self.channel(0))
            let late = try Self.channel(3)
            let refused = try Self.channel(4)
            _ = store.notifyWhenDurable(first) { _ in
                // Queued during the run, before close: the run must commit it too.
                queuedInCallback.withLock { $0 = store.enqueue(late) }
                store.close()
                events.append("closed")
                let ticket = store.enqueue(refused)
                let outcome = store.notifyWhenDurable(ticket) { _ in events.append("refused write called back") }
                afterClose.withLock { $0 = outcome }
            }
            let others = [store.enqueue(try Self.channel(1)), store.enqueue(try Self.channel(2))]
            runs.release(to: thread)
            try await eventually("close returns inside the callback") { events.all.contains("closed") }
            await thread.idle()

            let lateTicket = try #require(queuedInCallback.withLock { $0 })
            for ticket in [first] + others + [lateTicket] { try await store.waitUntilDurable(ticket) }
            #expect(store.statistics.commits == 4)
            let outcome = try #require(afterClose.withLock { $0 })
            #expect(Self.failure(outcome)?.kind == .failed)
            #expect(events.all == ["closed"])
            #expect(runs.scheduled == 1)
            // Closing again from outside (after the run) returns and releases the file.
            store.close()
            thread.stop()
            #expect(try await Self.reopenedChannels(path) == Set(try (0..<4).map(Self.record)))
        }
    }

    /// Sets up a run blocked in its first callback with three more tickets to go (two in its
    /// batch, one queued during it), then runs `close` on `closers` threads of their own.
    /// Checks that no close returns before the run is let go, that all do after it, and that
    /// nothing is lost.
    private func closeDuringARun(closers: Int) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            let runs = HeldRuns()
            let store = try SQLiteChannelStore(path: path, maxTicketsPerCommit: 1, committer: runs.committer)
            let gate = Gate()
            let first = store.enqueue(try Self.channel(0))
            _ = store.notifyWhenDurable(first) { _ in gate.pass() }
            var tickets = [first, store.enqueue(try Self.channel(1)), store.enqueue(try Self.channel(2))]
            runs.release(to: thread)
            try await eventually("the run calls back") { gate.arrivals == 1 }
            tickets.append(store.enqueue(try Self.channel(3)))

            let closed = Atomic<Int>(0)
            for index in 0..<closers {
                let closer = Thread {
                    store.close()
                    closed.add(1, ordering: .sequentiallyConsistent)
                }
                closer.name = "paychan.test.closer-\(index)"
                closer.start()
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(closed.load(ordering: .sequentiallyConsistent) == 0, "close returned during the run")
            #expect(store.statistics.commits == 1)
            gate.open()
            try await eventually("every close returns") { closed.load(ordering: .sequentiallyConsistent) == closers }
            for ticket in tickets { try await store.waitUntilDurable(ticket) }
            #expect(store.statistics.commits == 4)
            let refused = await #expect(throws: StoreError.self) { try await store.write(try Self.channel(9)) }
            #expect(refused?.kind == .failed)
            await thread.idle()
            thread.stop()
            #expect(try await Self.reopenedChannels(path) == Set(try (0..<4).map(Self.record)))
        }
    }

    @Test("close from another thread waits for the run under way and loses nothing")
    func closeWaitsForTheRun() async throws {
        try await closeDuringARun(closers: 1)
    }

    @Test("two threads closing during a run both return once it ends")
    func concurrentClosesDuringARun() async throws {
        try await closeDuringARun(closers: 2)
    }

    @Test("a refused ticket is called back on the run's thread with the refusal; its batch commits")
    func refusalIsCalledBack() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            defer { thread.stop() }
            let runs = HeldRuns()
            let store = try SQLiteChannelStore(path: path, committer: runs.committer)
            defer { store.close() }
            let missing = try Self.record(50)
            let payment = StoreWrite.server(
                .payment(
                    contractTxid: missing.contractTxid, bestValueToServer: try StoreFixtures.amount(5_000),
                    signature: [1]))
            let writes = [try Self.channel(0), [payment], try Self.channel(1)]
            let callbacks = Notes<Callback>()
            for (index, write) in writes.enumerated() {
                let ticket = store.enqueue(write)
                _ = store.notifyWhenDurable(ticket) { result in
                    callbacks.append(
                        Callback(
                            index: index, onRunThread: thread.isCurrent, error: Self.failure(result),
                            commits: store.statistics.commits, rowsInFile: 0))
                }
            }
            runs.release(to: thread)
            await thread.idle()
            let seen = callbacks.all
            #expect(seen.map(\.index) == [0, 1, 2])
            #expect(seen.allSatisfy { $0.onRunThread && $0.commits == 1 })
            #expect(seen.map { $0.error?.kind } == [nil, .inconsistent, nil])
            #expect(store.statistics.refusedTickets == 1)
            #expect(Set(try await store.serverChannels(in: [.open])) == Set([try Self.record(0), try Self.record(1)]))
        }
    }

    @Test("a failed commit calls back every waiter with the error; the store then refuses everything")
    func failedCommitCallsBack() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let records = try (0..<3).map(Self.record)
            do {
                let store = try SQLiteChannelStore(path: path)
                try await store.write(records.map { .server(.channel($0)) })
                store.close()
            }
            // A trigger makes one payment value fail inside SQLite, as a full disk would.
            try RawDatabase.execute(
                path,
                """
                CREATE TRIGGER fail_payment BEFORE UPDATE OF best_value_to_server ON server_channels
                WHEN NEW.best_value_to_server = 666 BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
            let thread = SerialWorkThread()
            let runs = HeldRuns()
            // Without the payment journal, so that the payments go through SQLite (and its trigger).
            let store = try SQLiteChannelStore(path: path, committer: runs.committer, paymentJournal: false)
            let callbacks = Notes<Callback>()
            var tickets: [StoreTicket] = []
            for (index, value) in [100, 666, 300].enumerated() {
                let ticket = store.enqueue([
                    .server(
                        .payment(
                            contractTxid: records[index].contractTxid,
                            bestValueToServer: try StoreFixtures.amount(Int64(value)), signature: [UInt8(index)]))
                ])
                tickets.append(ticket)
                _ = store.notifyWhenDurable(ticket) { result in
                    callbacks.append(
                        Callback(
                            index: index, onRunThread: thread.isCurrent, error: Self.failure(result),
                            commits: store.statistics.commits, rowsInFile: 0))
                }
            }
            runs.release(to: thread)
            await thread.idle()
            // Called back right after the failed commit, on the run's thread, like after a commit.
            let seen = callbacks.all.sorted { $0.index < $1.index }
            #expect(seen.map(\.index) == [0, 1, 2])
            for callback in seen {
                #expect(callback.onRunThread)
                #expect(callback.error?.kind == .io)
                #expect(callback.error?.message.contains("injected failure") == true)
                #expect(callback.commits == 0)
            }
            for ticket in tickets {
                let error = await #expect(throws: StoreError.self) { try await store.waitUntilDurable(ticket) }
                #expect(error?.kind == .io)
            }
            let next = await #expect(throws: StoreError.self) { try await store.write(try Self.channel(7)) }
            #expect(next?.kind == .failed)
            #expect(runs.scheduled == 1)
            store.close()
            thread.stop()

            try RawDatabase.execute(path, "DROP TRIGGER fail_payment")
            // Nothing of the failed batch was written.
            #expect(try await Self.reopenedChannels(path) == Set(records))
        }
    }
}

/// Closing races: writers on several threads while the store closes.
@Suite("SQLite store with scheduled commits: closing while written to")
struct ScheduledCommitCloseRaceTests {
    /// The outcome of one ticket, as its writer saw it.
    struct Outcome: Sendable {
        let index: Int
        let error: StoreError?
    }

    @Test("every ticket is durable and in the file, or failed with .failed and absent", arguments: 0..<12)
    func closeDuringWrites(round: Int) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let thread = SerialWorkThread()
            // Small transactions: many runs, reschedules and drains for the close to land in.
            let store = try SQLiteChannelStore(path: path, maxTicketsPerCommit: 2, committer: thread.committer)
            let writers = 4
            let perWriter = 40
            let outcomes = Notes<Outcome>()
            let enqueued = Atomic<Int>(0)
            let finished = DispatchSemaphore(value: 0)
            let records = try (0..<(writers * perWriter)).map(ScheduledCommitTests.record)
            for writer in 0..<writers {
                Thread {
                    for n in 0..<perWriter {
                        let index = writer * perWriter + n
                        let ticket = store.enqueue([.server(.channel(records[index]))])
                        enqueued.add(1, ordering: .sequentiallyConsistent)
                        let immediate = store.notifyWhenDurable(ticket) { result in
                            outcomes.append(Outcome(index: index, error: ScheduledCommitTests.failure(result)))
                        }
                        if let immediate {
                            outcomes.append(Outcome(index: index, error: ScheduledCommitTests.failure(immediate)))
                        }
                        if n % 8 == round % 8 { usleep(200) }
                    }
                    finished.signal()
                }.start()
            }
            let closeAfter = 20 + round * 10
            try await eventually("writers are under way") {
                enqueued.load(ordering: .sequentiallyConsistent) >= closeAfter
            }
            store.close()
            for _ in 0..<writers { finished.wait() }
            try await eventually("every ticket has an outcome") { outcomes.all.count == records.count }
            await thread.idle()
            thread.stop()

            let seen = outcomes.all
            #expect(Set(seen.map(\.index)).count == records.count, "a ticket was called back twice")
            #expect(seen.allSatisfy { $0.error == nil || $0.error?.kind == .failed })
            let durable = Set(seen.filter { $0.error == nil }.map { records[$0.index] })
            #expect(durable.count >= closeAfter)
            #expect(try await ScheduledCommitTests.reopenedChannels(path) == durable)
        }
    }
}
