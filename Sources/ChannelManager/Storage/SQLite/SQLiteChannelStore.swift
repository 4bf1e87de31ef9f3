import BitcoinPrimitives
import ChannelStateMachine
import Dispatch
import GRDB

/// A ``ChannelStore`` in one SQLite file: the default store of the managers.
///
/// - The file is opened in WAL mode with `synchronous = FULL`, so every commit is durable once
///   it returns; the schema is versioned (`SQLiteSchema`) and migrated on open. A file written
///   by a newer version (a schema migration this code does not know) or by another program is
///   refused with `.unsupportedSchema`.
/// - **Group commit.** ``enqueue(_:)`` only appends to a queue. One writer takes all that is
///   queued, applies it in one transaction and one sync, then resumes everyone waiting in
///   ``waitUntilDurable(_:)``. Many channels paying at once thus share commits
///   (``statistics`` shows how much). The writer is a thread of the store's own, or runs
///   scheduled on a thread of the caller's choosing, such as an event loop (``Committer``).
/// - **Failures** follow ``ChannelStore``: a ticket whose writes do not fit the stored data is
///   refused alone (`.inconsistent`) inside a savepoint, and the rest of its batch commits; a
///   database error rolls the whole batch back and fails the store (reopen to recover).
/// - **Payment journal.** A batch made only of payments is made durable by one aligned write to
///   `<path>-paylog` instead of an SQLite commit, and folded into the database by the next
///   transaction, before a read, when the writer is idle, and at close; opening the store
///   replays it (`SQLitePaymentJournal` has the details).
/// - **Other stores on the same file.** One open store owns the journal (an exclusive `flock`;
///   a store opened without the journal owns it too, with an empty file, and journals nothing).
///   Another store on the file leaves it to its owner; its reads lay the owner's unfolded
///   payments over the rows, so they too see every acknowledged payment. While the owner is
///   open, that store's writes, key reservations and prunes are refused (`.io`, "read-only"),
///   since two writers could roll back each other's payments; at its first write after the
///   owner closed or died, it takes the journal over (replaying what the owner left) and writes.
///   A store opened with `readOnly: true` (`paychan channels`) never takes the journal, so it
///   cannot keep a process that starts beside it from owning it. A child process forked while
///   the owner is open shares the lock (it belongs to the open file) until it execs or exits,
///   even once the owner closed: a store opened in that moment observes, and takes over at a
///   later write.
/// - Reads wait until every write enqueued before them is settled, then run on a reader
///   connection off Swift's cooperative pool; every row is validated (`.corrupt` on a bad one).
///
/// Call ``close()`` when done (deinit does it too).
public final class SQLiteChannelStore: ChannelStore {
    /// Counters showing how writes were batched.
    public struct Statistics: Sendable, Hashable {
        /// Commits: SQLite transactions and payment journal writes (one sync each).
        public var commits = 0
        /// Of those, payment journal writes (see
        /// ``SQLiteChannelStore/init(path:clock:busyTimeout:maxTicketsPerCommit:committer:paymentJournal:readOnly:)``).
        public var journalWrites = 0
        /// Tickets settled by those commits (``enqueue(_:)`` calls, key reservations, prunes),
        /// refused ones included.
        public var tickets = 0
        /// ``StoreWrite`` values applied.
        public var writes = 0
        /// Tickets refused as inconsistent.
        public var refusedTickets = 0
        /// The most tickets one commit settled.
        public var largestBatch = 0
    }

    /// The database file.
    public let path: String
    private let pool: DatabasePool
    private let queue: SQLiteWriteQueue
    private let writer: SQLiteWriterThread
    /// Folds the payment journal when the writer is idle (nil without a journal).
    private let idleFold: IdleFoldTimer?

    /// Opens the store in the file at `path`, creating it if needed, and migrates it to the
    /// current schema.
    /// - Parameters:
    ///   - path: the database file; the payment journal is `<path>-paylog` beside it.
    ///   - clock: stamps when channels end (for ``pruneEndedChannels(endedBefore:)``).
    ///   - busyTimeout: seconds to wait for a lock held by another connection.
    ///   - maxTicketsPerCommit: the most tickets one transaction applies; a longer queue is
    ///     committed in several, so the first waiters are not held up by the whole queue.
    ///   - committer: where commits run: a thread of the store's own (the default), or work
    ///     scheduled where the caller says (see ``Committer``).
    ///   - paymentJournal: whether batches of payments go to the payment journal (the default)
    ///     rather than each to an SQLite commit. Either way, a journal left by an earlier run is
    ///     replayed on open, and the store holds the journal file's lock (an empty file without
    ///     the journal), so that no other store writes the same file meanwhile.
    ///   - readOnly: never write: every write, key reservation and prune is refused (`.io`), and
    ///     the payment journal is never taken (reads lay its owner's payments over the rows).
    ///     Opening still creates the schema, or migrates an older one, like any store.
    /// - Throws: `.unsupportedSchema` for a file from a newer version or another program,
    ///   `.corrupt` for a file that is not a database, `.io` when it cannot be opened.
    public convenience init(
        path: String, clock: any ManagerClock = SystemClock(), busyTimeout: Double = 5,
        maxTicketsPerCommit: Int = 4_096, committer: Committer = .dedicatedThread, paymentJournal: Bool = true,
        readOnly: Bool = false
    ) throws(StoreError) {
        try self.init(
            path: path, clock: clock, busyTimeout: busyTimeout, maxTicketsPerCommit: maxTicketsPerCommit,
            committer: committer, paymentJournal: paymentJournal, readOnly: readOnly,
            idleFoldNanoseconds: SQLitePaymentJournal.idleFoldNanoseconds)
    }

    /// ``init(path:clock:busyTimeout:maxTicketsPerCommit:committer:paymentJournal:readOnly:)``
    /// with how long the writer must have been idle before the payment journal is folded
    /// (50 ms there). Tests that need every payment to be a journal write, or the journal left
    /// unfolded, make it long.
    @_spi(StoreTesting)
    public init(
        path: String, clock: any ManagerClock, busyTimeout: Double, maxTicketsPerCommit: Int, committer: Committer,
        paymentJournal: Bool, readOnly: Bool, idleFoldNanoseconds: UInt64
    ) throws(StoreError) {
        self.path = path
        pool = try SQLiteStoreOpening.open(path: path, now: clock.now(), busyTimeout: busyTimeout)
        let role: SQLitePaymentJournal.Role
        do {
            role = try SQLitePaymentJournal.open(
                pool: pool, databasePath: path, blocks: SQLitePaymentJournal.defaultBlocks, use: paymentJournal,
                observeOnly: readOnly)
        } catch {
            try? pool.close()
            throw error
        }
        let takeOver =
            readOnly
            ? nil
            : SQLiteWriterThread.JournalTakeOver(
                databasePath: path, blocks: SQLitePaymentJournal.defaultBlocks, use: paymentJournal)
        let writer: SQLiteWriterThread
        switch committer.kind {
        case .dedicatedThread:
            queue = SQLiteWriteQueue()
            writer = SQLiteWriterThread(
                queue: queue, pool: pool, clock: clock, maxTicketsPerCommit: maxTicketsPerCommit, journal: role,
                takeOver: takeOver)
            writer.start()
        case .scheduled(let schedule):
            queue = SQLiteWriteQueue(schedule: schedule)
            writer = SQLiteWriterThread(
                queue: queue, pool: pool, clock: clock, maxTicketsPerCommit: maxTicketsPerCommit, journal: role,
                takeOver: takeOver)
            queue.setScheduledWriter(writer)
        }
        self.writer = writer
        idleFold =
            paymentJournal && !readOnly
            ? Self.startIdleFold(writer: writer, queue: queue, idleNanoseconds: idleFoldNanoseconds) : nil
    }

    /// Whether this store writes payments to its payment journal now. False when the journal
    /// is disabled, in a read-only store, and while another open store owns the journal of the
    /// same file (this one is read-only until it takes the journal over, at its first write
    /// after the other let go).
    public var usesPaymentJournal: Bool { writer.journal?.takesPayments == true }

    /// A timer that folds the payment journal once the writer has been idle for a moment, so
    /// that other processes reading the file see recent payments.
    private static func startIdleFold(writer: SQLiteWriterThread, queue: SQLiteWriteQueue, idleNanoseconds: UInt64)
        -> IdleFoldTimer
    {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        let period = DispatchTimeInterval.nanoseconds(Int(min(idleNanoseconds / 2, UInt64(Int.max))))
        timer.schedule(deadline: .now() + period, repeating: period, leeway: period)
        timer.setEventHandler {
            guard let journal = writer.journal else { return }
            if journal.claimIdleFold(now: DispatchTime.now().uptimeNanoseconds, idleNanoseconds: idleNanoseconds) {
                _ = queue.enqueue(.foldJournal)
            }
        }
        timer.resume()
        return IdleFoldTimer(timer)
    }

    deinit { shutDown() }

    /// Commits what is queued, stops the writer thread and closes the file. Blocks until done.
    /// Afterwards every write, wait and read throws `.failed`. Calling it again does nothing.
    public func close() { shutDown() }

    /// How writes were batched so far.
    public var statistics: Statistics { queue.statistics }

    private func shutDown() {
        idleFold?.cancel()
        if queue.scheduledCommits {
            // Called from a run's callback: that run commits what is left, and the connections
            // close when the pool is released.
            guard writer.closeScheduled() else { return }
        } else {
            queue.beginClosing()
            writer.waitUntilExited()
            writer.foldAndCloseJournal()
        }
        // Closing fails only while a read is running; the connections then close when the
        // pool is released.
        try? pool.close()
    }

    // MARK: Writes

    public func enqueue(_ writes: [StoreWrite]) -> StoreTicket {
        StoreTicket(sequence: queue.enqueue(.writes(writes)))
    }

    public func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError) {
        switch await queue.outcome(of: ticket.sequence) {
        case .applied: return
        case .refused(let error), .storeFailed(let error): throw error
        }
    }

    /// Calls `body` right after the commit that settles `ticket`, unless its outcome is known at
    /// once: then that is returned and `body` never called. With scheduled commits `body` runs
    /// on the run's thread. With the writer thread, a small commit (a lone channel's payment)
    /// runs `body` there, with no hop to the task pool, and a large one runs each waiter's
    /// `body` in its own task, so that their work runs in parallel.
    public func notifyWhenDurable(
        _ ticket: StoreTicket, _ body: @escaping @Sendable (Result<Void, StoreError>) -> Void
    ) -> Result<Void, StoreError>? {
        let immediate = queue.notify(of: ticket.sequence) { outcome in body(outcome.durability) }
        return immediate?.durability
    }

    public func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        let value = try await run(.reserveKeyIndex(family))
        guard case .keyIndex(let index) = value else { throw StoreError(.io, "key reservation returned \(value)") }
        return index
    }

    public func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int {
        let value = try await run(.prune(endedBefore: cutoff))
        guard case .pruned(let count) = value else { throw StoreError(.io, "prune returned \(value)") }
        return count
    }

    private func run(_ operation: QueuedOperation) async throws(StoreError) -> OperationValue {
        switch await queue.enqueueAndWait(operation) {
        case .applied(let value): return value
        case .refused(let error), .storeFailed(let error): throw error
        }
    }

    // MARK: Reads

    /// The server channel with this contract txid, if stored (with its journaled payments).
    public func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord? {
        try await read({ try SQLiteReads.serverChannel($0, contractTxid) }, overlay: { $1.apply(to: &$0) })
    }

    public func serverChannels(in states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?)
        async throws(StoreError) -> [ServerChannelRecord]
    {
        try await read(
            { try SQLiteReads.serverChannels($0, states, expiringAfter: expiringAfter) },
            overlay: { $1.apply(to: &$0) })
    }

    /// The client channel with this contract txid, if stored (with its journaled payments).
    public func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord? {
        try await read({ try SQLiteReads.clientChannel($0, contractTxid) }, overlay: { $1.apply(to: &$0) })
    }

    public func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    {
        try await read({ try SQLiteReads.clientChannels($0, serverID, states) }, overlay: { $1.apply(to: &$0) })
    }

    public func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        try await read { try SQLiteReads.nextKeyIndex($0, family) }
    }

    public func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput] {
        try await read { try SQLiteReads.walletOutputs($0, unspentOnly: unspentOnly) }
    }

    public func chainIndex() async throws(StoreError) -> ChainIndex {
        try await read { try SQLiteChainIndexReads.chainIndex($0) }
    }

    /// Runs a query once every write enqueued before it is settled. A channel read passes
    /// `overlay`: the payment journal is folded first, and payments journaled by another store
    /// on the same file are laid over the result (see ``usesPaymentJournal``).
    private func read<T: Sendable>(
        _ query: @escaping @Sendable (Database) throws -> T,
        overlay: (@Sendable (inout T, LatestJournaledPayments) -> Void)? = nil
    ) async throws(StoreError) -> T {
        try await queue.readBarrier()
        // Channel reads (those with an overlay) need the journal's payments in the database.
        if overlay != nil, writer.journal?.hasUnfolded == true { _ = try await run(.foldJournal) }
        do {
            if let overlay, let journalObserver = writer.observedJournal {
                return try await journalObserver.read(pool, query, overlay: overlay)
            }
            return try await pool.read(query)
        } catch {
            throw StoreError.from(error, "read failed")
        }
    }
}

/// The store's idle-fold timer. A dispatch source is safe to cancel from any thread; it is not
/// marked `Sendable` only because Dispatch predates the annotation.
private final class IdleFoldTimer: @unchecked Sendable {
    private let timer: any DispatchSourceTimer

    init(_ timer: any DispatchSourceTimer) { self.timer = timer }

    func cancel() { timer.cancel() }
}
