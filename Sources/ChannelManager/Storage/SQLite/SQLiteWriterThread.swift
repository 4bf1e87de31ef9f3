import Dispatch
import Foundation
import GRDB
import Synchronization

/// The store's one writer: it takes everything queued, applies it in one write transaction (one
/// WAL sync at commit), then resumes the waiters. Concurrent writes from many channels so share
/// a commit. It runs on a dedicated thread (``start()``), or in runs scheduled where the store's
/// owner chose (``runScheduled()``, ``SQLiteChannelStore/Committer/scheduled(_:)``).
final class SQLiteWriterThread: Sendable {
    private let queue: SQLiteWriteQueue
    private let pool: DatabasePool
    private let clock: any ManagerClock
    /// The most tickets one transaction takes: a longer queue is committed in several, so the
    /// first waiters need not wait for the whole queue to be applied.
    private let maxTicketsPerCommit: Int
    /// How this store stands to the payment journal: its owner (batches of payments alone are
    /// made durable there unless the store was opened without the journal, and every SQLite
    /// transaction folds it first) or an observer (it writes nothing). An observer that may
    /// write (``takeOver``) takes the journal over at its first write after the store that
    /// owned it let go.
    private let standing: Mutex<SQLitePaymentJournal.Role>
    /// The journal when the standing can never change (an owner): read without the lock on
    /// every commit.
    private let fixed: SQLitePaymentJournal?
    /// Whether the standing may change: it began as an observer.
    private let observing: Bool
    /// How to take the journal over; nil in a read-only store, which never does.
    private let takeOver: JournalTakeOver?
    /// Signalled when the thread leaves its loop.
    private let exited = DispatchSemaphore(value: 0)
    private let metrics = StoreCommitMetrics(store: "sqlite")

    /// What opening the payment journal again needs.
    struct JournalTakeOver: Sendable {
        let databasePath: String
        let blocks: Int
        /// Whether payments go to the journal once this store owns it.
        let use: Bool
    }

    init(
        queue: SQLiteWriteQueue, pool: DatabasePool, clock: any ManagerClock, maxTicketsPerCommit: Int,
        journal: SQLitePaymentJournal.Role, takeOver: JournalTakeOver?
    ) {
        self.queue = queue
        self.pool = pool
        self.clock = clock
        self.maxTicketsPerCommit = max(1, maxTicketsPerCommit)
        standing = Mutex(journal)
        switch journal {
        case .owner(let owned):
            fixed = owned
            observing = false
        case .observer:
            fixed = nil
            observing = true
        }
        self.takeOver = takeOver
    }

    /// The payment journal, while this store owns it.
    var journal: SQLitePaymentJournal? {
        guard observing else { return fixed }
        return standing.withLock { role in if case .owner(let owned) = role { owned } else { nil } }
    }

    /// The journal of another store (or, in a read-only store, of whichever store owns it), whose
    /// unfolded payments this store's reads lay over its rows.
    var observedJournal: PaymentJournalObserver? {
        guard observing else { return nil }
        return standing.withLock { role in if case .observer(let observed) = role { observed } else { nil } }
    }

    /// One scheduled run: commits everything queued (in transactions of at most
    /// `maxTicketsPerCommit` tickets), then schedules the next run if more arrived meanwhile.
    /// Does nothing if a closer took the run over.
    func runScheduled() {
        guard queue.beginRun() else { return }
        drainScheduled()
    }

    /// Closes a store with scheduled commits: waits for a run under way on another thread, then
    /// commits what is left on this one. Returns whether the connections may be closed now
    /// (false when called from the run itself, which commits what is left before it ends).
    func closeScheduled() -> Bool {
        queue.beginClosing()
        while true {
            switch queue.claimForClosing() {
            case .drainHere:
                drainScheduled()
                return true
            case .waitForRun:
                queue.waitForRunEnd()
            case .runOnThisThread:
                return false
            }
        }
    }

    /// For the holder of a run: commits what is queued until ``SQLiteWriteQueue/endRun()``
    /// lets go.
    private func drainScheduled() {
        var end: SQLiteWriteQueue.RunEnd
        repeat {
            commitAll(queue.takePending())
            end = queue.endRun()
        } while end == .drainMore
        if end == .reschedule { queue.rescheduleRun() }
        if end == .done && queue.isClosing { foldAndCloseJournal() }
    }

    /// Commits a batch in transactions of at most `maxTicketsPerCommit` tickets; stops at a
    /// failed commit (the queue has then failed every later ticket).
    private func commitAll(_ batch: [QueuedGroup]) {
        var start = batch.startIndex
        while start < batch.endIndex {
            let end = min(start + maxTicketsPerCommit, batch.endIndex)
            guard commit(batch[start..<end]) else { return }
            start = end
        }
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in
            while let batch = queue.takeBatch() { commitAll(batch) }
            exited.signal()
        }
        thread.name = "paychan.store.writer"
        thread.start()
    }

    /// Blocks until the thread has left its loop (after ``SQLiteWriteQueue/beginClosing()``).
    func waitUntilExited() {
        exited.wait()
        // Let any other caller waiting for the exit through too.
        exited.signal()
    }

    /// Commits a batch (see ``commitBatch(_:)``), timed and counted.
    private func commit(_ batch: ArraySlice<QueuedGroup>) -> Bool {
        let started = ContinuousClock.now
        let committed = commitBatch(batch)
        metrics.record(since: started, succeeded: committed)
        return committed
    }

    /// Commits a batch: to the payment journal when it takes it, else in one SQLite transaction
    /// (which folds the journal first). Returns false if it failed (and the store with it).
    private func commitBatch(_ batch: ArraySlice<QueuedGroup>) -> Bool {
        if let observed = observedJournal {
            let refusal: StoreError?
            do { refusal = try takeOverJournal(observed) } catch {
                queue.fail(batch, with: error)
                return false
            }
            if let refusal {
                queue.finish(batch, outcomes: batch.map { _ in .refused(refusal) }, writes: 0, committed: false)
                return true
            }
        }
        let journal = self.journal
        if let journal {
            do {
                if let outcomes = try journal.write(batch, pool: pool) {
                    let refused = outcomes.count { if case .refused = $0 { true } else { false } }
                    // A batch refused whole wrote nothing.
                    let wrote = refused < outcomes.count
                    queue.finish(
                        batch, outcomes: outcomes, writes: outcomes.count - refused, journaled: wrote, committed: wrote)
                    return true
                }
            } catch {
                queue.fail(batch, with: StoreError.from(error, "payment journal write failed"))
                return false
            }
        }
        let now = clock.now()
        var outcomes: [TicketOutcome] = []
        outcomes.reserveCapacity(batch.count)
        var writes = 0
        var folded: UInt64?
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    folded = try journal?.fold(into: db)
                    var applier = SQLiteWriteApplier(db: db, now: now)
                    for group in batch { outcomes.append(try applier.apply(group.operation)) }
                    writes = applier.writesApplied
                    return .commit
                }
            }
        } catch {
            queue.fail(batch, with: StoreError.from(error, "commit failed"))
            return false
        }
        if let journal {
            if let folded { journal.didFold(through: folded) }
            if batch.contains(where: { if case .prune = $0.operation { true } else { false } }) {
                journal.forgetStoredChannels()
            }
        }
        queue.finish(batch, outcomes: outcomes, writes: writes)
        return true
    }

    /// Before a write by a store that observes the journal: opens the journal again, which
    /// takes it over (replaying what the last owner left unfolded) when no other open store
    /// holds it any more. Returns the refusal for the batch when this store stays read-only.
    private func takeOverJournal(_ observed: PaymentJournalObserver) throws(StoreError) -> StoreError? {
        guard let takeOver else { return StoreError(.io, "read-only: the store was opened read-only") }
        let role = try SQLitePaymentJournal.open(
            pool: pool, databasePath: takeOver.databasePath, blocks: takeOver.blocks, use: takeOver.use)
        if case .observer = role {
            return StoreError(
                .io,
                "read-only: another open store owns \(observed.path) (one process writes a channel store at a time)")
        }
        standing.withLock { $0 = role }
        return nil
    }

    /// After the writer stopped (the store is closing): folds what the journal holds, so that
    /// the database alone is complete, and releases the journal. A failure leaves the payments
    /// to the next open's replay.
    func foldAndCloseJournal() {
        guard let journal else { return }
        defer { journal.close() }
        guard journal.hasUnfolded else { return }
        var folded: UInt64?
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    folded = try journal.fold(into: db)
                    return .commit
                }
            }
        } catch {
            return
        }
        if let folded { journal.didFold(through: folded) }
    }
}
