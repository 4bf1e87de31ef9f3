import Dispatch
import Foundation
import Synchronization

/// What the writer thread does for one ticket.
enum QueuedOperation: Sendable {
    /// One `enqueue` call's writes, applied all or none.
    case writes([StoreWrite])
    /// Reserve the next index of a key family.
    case reserveKeyIndex(KeyFamily)
    /// Delete channels that ended before a cutoff.
    case prune(endedBefore: UInt64)
    /// Fold the payment journal into the database (before a read, or when the writer is idle).
    case foldJournal
}

/// What an operation produced, once committed.
enum OperationValue: Sendable, Equatable {
    case none
    case keyIndex(UInt32)
    case pruned(Int)
}

/// How a ticket ended.
enum TicketOutcome: Sendable {
    /// Committed and synced.
    case applied(OperationValue)
    /// Refused alone (it did not fit the stored data); nothing of it was applied, the store goes on.
    case refused(StoreError)
    /// The store failed with or before this ticket; nothing of it was applied.
    case storeFailed(StoreError)

    /// Success, or the error a wait for durability throws.
    var durability: Result<Void, StoreError> {
        switch self {
        case .applied: return .success(())
        case .refused(let error), .storeFailed(let error): return .failure(error)
        }
    }
}

/// Someone waiting for a ticket's outcome: a suspended task, or a callback the writer thread
/// runs right after the commit.
enum TicketWaiter: Sendable {
    case continuation(CheckedContinuation<TicketOutcome, Never>)
    case callback(@Sendable (TicketOutcome) -> Void)

    /// Commits settling at most this many tickets run their callbacks on the writer thread;
    /// larger ones hand each callback to a task of its own.
    static let inlineCallbackLimit = 4

    /// Resumes the waiter; a callback runs here when `inline`, else in a new task.
    func resume(returning outcome: TicketOutcome, inline: Bool) {
        switch self {
        case .continuation(let continuation): continuation.resume(returning: outcome)
        case .callback(let body):
            if inline { body(outcome) } else { Task { body(outcome) } }
        }
    }
}

/// One ticket's operation, waiting for the writer.
struct QueuedGroup: Sendable {
    let sequence: UInt64
    let operation: QueuedOperation
}

/// The queue between callers and the writer thread: pending operations, the tickets' outcomes,
/// and the continuations (or callbacks, ``notify(of:_:)``) waiting for them. Everything is
/// behind one `Mutex`, held only for a few array operations; the writer sleeps on a semaphore
/// that an enqueue signals only when the writer is idle, so under load an enqueue costs no
/// system call.
final class SQLiteWriteQueue: Sendable {
    private struct Failure {
        /// What failed the store.
        let error: StoreError
        /// The failed batch's tickets get `error`; later tickets get `.failed`.
        let from: UInt64
        let through: UInt64
    }

    private struct State {
        /// The last ticket issued.
        var issued: UInt64 = 0
        /// Every ticket up to this one is committed or refused.
        var settledThrough: UInt64 = 0
        var pending: [QueuedGroup] = []
        var waiters: [UInt64: [TicketWaiter]] = [:]
        /// Refused tickets (rare: a caller's bug or a race with pruning), kept so that a late
        /// wait still gets the error.
        var refused: [UInt64: StoreError] = [:]
        var failure: Failure?
        var closing = false
        var writerIdle = false
        /// Scheduled commits only: the thread of the run under way (``beginRun()`` to
        /// ``endRun()``, or a closer draining), nil when none is.
        var runThread: pthread_t?
        /// Scheduled commits only: how many closers wait for the run under way to end (several
        /// threads may close at once; each is woken).
        var closersWaiting = 0
        var statistics = SQLiteChannelStore.Statistics()

        /// The outcome of a ticket that needs no waiting, or nil while it is still queued.
        func settledOutcome(_ sequence: UInt64) -> TicketOutcome? {
            guard sequence <= issued else {
                return .refused(.unknownTicket(StoreTicket(sequence: sequence)))
            }
            if let failure, sequence >= failure.from {
                return .storeFailed(sequence <= failure.through ? failure.error : .failed(after: failure.error))
            }
            if sequence <= settledThrough {
                return refused[sequence].map(TicketOutcome.refused) ?? .applied(.none)
            }
            return nil
        }

        /// Appends an operation unless the store has failed or is closing; returns whether the
        /// writer must be woken.
        mutating func append(_ operation: QueuedOperation) -> Bool {
            guard failure == nil, !closing else { return false }
            pending.append(QueuedGroup(sequence: issued, operation: operation))
            guard writerIdle else { return false }
            writerIdle = false
            return true
        }
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    /// Scheduled commits only: signalled when a run ends while a closer waits for it.
    private let runEnded = DispatchSemaphore(value: 0)
    /// Scheduled commits only: what schedules a run, and the writer it runs (set once, right
    /// after the writer exists). The function is kept out of the mutex: a closure stored in a
    /// generic container and read back is wrapped in a new thunk each time.
    private let schedule: (@Sendable (@escaping @Sendable () -> Void) -> Void)?
    private let scheduledWriter = Mutex<SQLiteWriterThread?>(nil)
    /// Whether commits are scheduled (``SQLiteChannelStore/Committer/scheduled(_:)``) rather
    /// than run by the writer thread. Their callbacks all run right after the commit, whatever
    /// the batch size: the caller chose that thread for them.
    var scheduledCommits: Bool { schedule != nil }

    /// A queue for the writer thread, or (with `schedule`) for scheduled runs.
    init(schedule: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil) {
        self.schedule = schedule
        // The writer thread reports itself idle once it runs; scheduled runs start idle.
        state.withLock { $0.writerIdle = schedule != nil }
    }

    /// Scheduled commits: the writer that runs them.
    func setScheduledWriter(_ writer: SQLiteWriterThread) {
        scheduledWriter.withLock { $0 = writer }
    }

    /// Wakes the writer: signals its thread, or schedules a run.
    private func wakeWriter() {
        guard let schedule else {
            wake.signal()
            return
        }
        guard let writer = scheduledWriter.withLock({ $0 }) else { return }
        schedule { writer.runScheduled() }
    }

    // MARK: Callers

    /// Queues an operation; returns its ticket's sequence number. Never blocks on IO.
    func enqueue(_ operation: QueuedOperation) -> UInt64 {
        let (sequence, signal) = state.withLock { state in
            state.issued += 1
            return (state.issued, state.append(operation))
        }
        if signal { wakeWriter() }
        return sequence
    }

    /// Queues an operation and waits for its outcome.
    func enqueueAndWait(_ operation: QueuedOperation) async -> TicketOutcome {
        await withCheckedContinuation { continuation in
            let (immediate, signal) = state.withLock { state -> (TicketOutcome?, Bool) in
                state.issued += 1
                let sequence = state.issued
                if let outcome = state.settledOutcome(sequence) { return (outcome, false) }
                let signal = state.append(operation)
                state.waiters[sequence, default: []].append(.continuation(continuation))
                return (nil, signal)
            }
            if signal { wakeWriter() }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Waits for a ticket's outcome.
    func outcome(of sequence: UInt64) async -> TicketOutcome {
        await withCheckedContinuation { continuation in
            let immediate = state.withLock { state -> TicketOutcome? in
                if let outcome = state.settledOutcome(sequence) { return outcome }
                state.waiters[sequence, default: []].append(.continuation(continuation))
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Runs `body` (on the writer thread, after the commit) with a ticket's outcome; returns the
    /// outcome instead, without running `body`, when it is known at once.
    func notify(of sequence: UInt64, _ body: @escaping @Sendable (TicketOutcome) -> Void) -> TicketOutcome? {
        state.withLock { state -> TicketOutcome? in
            if let outcome = state.settledOutcome(sequence) { return outcome }
            state.waiters[sequence, default: []].append(.callback(body))
            return nil
        }
    }

    /// Returns once every ticket issued so far is settled, so that a read sees its writes;
    /// throws `.failed` once the store has failed or closed.
    func readBarrier() async throws(StoreError) {
        let latest = state.withLock { $0.issued }
        if case .storeFailed(let error) = await outcome(of: latest) { throw .failed(after: error) }
        if let failure = state.withLock({ $0.failure }) { throw .failed(after: failure.error) }
    }

    var statistics: SQLiteChannelStore.Statistics { state.withLock { $0.statistics } }

    /// Stops taking operations: later tickets fail with `.failed`. The writer thread finishes
    /// what is queued, then ``takeBatch()`` returns nil. With scheduled commits nothing is
    /// scheduled (the closer drains the queue: ``claimForClosing()``).
    func beginClosing() {
        let signal = state.withLock { state -> Bool in
            state.closing = true
            if state.failure == nil {
                state.failure = Failure(
                    error: StoreError(.failed, "the store is closed"), from: state.issued + 1, through: state.issued)
            }
            guard !scheduledCommits else { return false }
            let signal = state.writerIdle
            state.writerIdle = false
            return signal
        }
        if signal { wakeWriter() }
    }

    // MARK: Scheduled commits

    /// What a closer of a store with scheduled commits does.
    enum CloseClaim {
        /// Commit what is left on this thread (a run scheduled but not started was taken over
        /// and will do nothing), then ``endRun()``.
        case drainHere
        /// A run is under way on another thread: wait with ``waitForRunEnd()``, then claim again.
        case waitForRun
        /// The run under way is on this thread (a callback closed the store): it commits what
        /// is left before it ends.
        case runOnThisThread
    }

    /// For a scheduled run as it starts: true (and the run marked under way) unless a closer
    /// took it over.
    func beginRun() -> Bool {
        state.withLock { state in
            guard !state.writerIdle, state.runThread == nil else { return false }
            state.runThread = pthread_self()
            return true
        }
    }

    /// Everything pending, without waiting (empty when nothing is).
    func takePending() -> [QueuedGroup] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// What a run does after committing what it took.
    enum RunEnd: Equatable {
        /// More arrived: schedule another run (the writer stays awake).
        case reschedule
        /// The store is closing and more is pending: commit it now, then ask again.
        case drainMore
        /// Nothing is pending; the writer sleeps until the next enqueue.
        case done
    }

    /// For a run (or a closer draining) that committed what it took.
    func endRun() -> RunEnd {
        let (end, wake) = state.withLock { state -> (RunEnd, Int) in
            if !state.pending.isEmpty {
                if state.closing { return (.drainMore, 0) }
                // Still awake (`writerIdle` false) with no run under way: scheduled.
                state.runThread = nil
                return (.reschedule, 0)
            }
            state.runThread = nil
            state.writerIdle = true
            defer { state.closersWaiting = 0 }
            return (.done, state.closersWaiting)
        }
        for _ in 0..<wake { runEnded.signal() }
        return end
    }

    /// For ``SQLiteChannelStore/close()`` with scheduled commits, after ``beginClosing()``.
    func claimForClosing() -> CloseClaim {
        state.withLock { state in
            if let thread = state.runThread {
                if pthread_equal(thread, pthread_self()) != 0 { return .runOnThisThread }
                state.closersWaiting += 1
                return .waitForRun
            }
            // Idle, or a run scheduled and not started: it will find `runThread` set and do nothing.
            state.writerIdle = false
            state.runThread = pthread_self()
            return .drainHere
        }
    }

    /// Whether ``beginClosing()`` was called.
    var isClosing: Bool { state.withLock { $0.closing } }

    /// Blocks until the run under way ends (after ``claimForClosing()`` said `.waitForRun`).
    func waitForRunEnd() { runEnded.wait() }

    /// Schedules the next run (after ``endRun()`` said `.reschedule`).
    func rescheduleRun() { wakeWriter() }

    // MARK: Writer thread

    /// Everything pending, sleeping while there is nothing; nil once closing and drained.
    func takeBatch() -> [QueuedGroup]? {
        while true {
            let batch = state.withLock { state -> [QueuedGroup]? in
                if !state.pending.isEmpty {
                    defer { state.pending = [] }
                    return state.pending
                }
                if state.closing { return nil }
                state.writerIdle = true
                return []
            }
            guard let batch else { return nil }
            if !batch.isEmpty { return batch }
            wake.wait()
        }
    }

    /// Records a committed batch and resumes its waiters.
    /// `committed` is false when nothing was written (a read-only store refused the batch).
    func finish(
        _ batch: ArraySlice<QueuedGroup>, outcomes: [TicketOutcome], writes: Int, journaled: Bool = false,
        committed: Bool = true
    ) {
        guard let last = batch.last else { return }
        let resumptions = state.withLock { state in
            state.settledThrough = last.sequence
            if committed { state.statistics.commits += 1 }
            if journaled { state.statistics.journalWrites += 1 }
            state.statistics.tickets += batch.count
            state.statistics.writes += writes
            state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            var resumptions: [(TicketWaiter, TicketOutcome)] = []
            for (group, outcome) in zip(batch, outcomes) {
                if case .refused(let error) = outcome {
                    state.refused[group.sequence] = error
                    state.statistics.refusedTickets += 1
                }
                if let waiters = state.waiters.removeValue(forKey: group.sequence) {
                    for waiter in waiters { resumptions.append((waiter, outcome)) }
                }
            }
            return resumptions
        }
        let inline = scheduledCommits || batch.count <= TicketWaiter.inlineCallbackLimit
        for (waiter, outcome) in resumptions { waiter.resume(returning: outcome, inline: inline) }
    }

    /// Records that a batch could not be committed: the store fails; every waiter is resumed
    /// (callbacks in tasks of their own, or right here with scheduled commits, like a commit's).
    func fail(_ batch: ArraySlice<QueuedGroup>, with error: StoreError) {
        guard let first = batch.first, let last = batch.last else { return }
        let resumptions = state.withLock { state in
            state.failure = Failure(error: error, from: first.sequence, through: last.sequence)
            state.pending = []
            var resumptions: [(TicketWaiter, TicketOutcome)] = []
            for (sequence, waiters) in state.waiters {
                let outcome = state.settledOutcome(sequence) ?? .storeFailed(.failed(after: error))
                for waiter in waiters { resumptions.append((waiter, outcome)) }
            }
            state.waiters = [:]
            return resumptions
        }
        for (waiter, outcome) in resumptions { waiter.resume(returning: outcome, inline: scheduledCommits) }
    }
}
