import ChannelManager
import Synchronization

/// What the writer does for one ticket.
enum PostgresOperation: Sendable {
    /// One `enqueue` call's writes, applied all or none.
    case writes([StoreWrite])
    /// Reserve the next index of a key family.
    case reserveKeyIndex(KeyFamily)
    /// Delete channels that ended before a cutoff.
    case prune(endedBefore: UInt64)
}

/// What an operation produced, once committed.
enum PostgresOperationValue: Sendable, Equatable {
    case none
    case keyIndex(UInt32)
    case pruned(Int)
}

/// How a ticket ended.
enum PostgresTicketOutcome: Sendable {
    /// Committed with `synchronous_commit = on`.
    case applied(PostgresOperationValue)
    /// Refused alone (it did not fit the stored data); nothing of it was applied.
    case refused(StoreError)
    /// The store failed with or before this ticket; nothing of it was applied.
    case storeFailed(StoreError)

    /// Success, or the error a wait for durability throws.
    var durability: Result<Void, StoreError> {
        switch self {
        case .applied: .success(())
        case .refused(let error), .storeFailed(let error): .failure(error)
        }
    }
}

/// One ticket waiting for the writer.
struct PostgresQueuedTicket: Sendable {
    let sequence: UInt64
    let operation: PostgresOperation
}

/// The queue between callers and the writer task: the tickets not yet taken, their outcomes,
/// and who waits for them (a suspended task, or a callback run right after the commit). All of
/// it sits behind one `Mutex`, held for a few array operations; ``enqueue(_:)`` never waits.
final class PostgresWriteQueue: Sendable {
    private enum Waiter: Sendable {
        case task(CheckedContinuation<PostgresTicketOutcome, Never>)
        case callback(@Sendable (PostgresTicketOutcome) -> Void)

        func resume(_ outcome: PostgresTicketOutcome) {
            switch self {
            case .task(let continuation): continuation.resume(returning: outcome)
            case .callback(let body): body(outcome)
            }
        }
    }

    private struct State {
        var issued: UInt64 = 0
        /// Every ticket up to this one is committed or refused.
        var settledThrough: UInt64 = 0
        var pending: [PostgresQueuedTicket] = []
        var waiters: [UInt64: [Waiter]] = [:]
        /// Refused tickets, so that a late wait still gets the error.
        var refused: [UInt64: StoreError] = [:]
        /// What failed the store, and the tickets of the batch that met it.
        var failure: (error: StoreError, from: UInt64, through: UInt64)?
        var closing = false
        /// The writer, suspended until something is queued.
        var sleepingWriter: CheckedContinuation<Void, Never>?
        var statistics = PostgresChannelStore.Statistics()

        func settledOutcome(_ sequence: UInt64) -> PostgresTicketOutcome? {
            guard sequence <= issued else { return .refused(.unknownTicket(StoreTicket(sequence: sequence))) }
            if let failure, sequence >= failure.from {
                return .storeFailed(sequence <= failure.through ? failure.error : .failed(after: failure.error))
            }
            guard sequence <= settledThrough else { return nil }
            return refused[sequence].map(PostgresTicketOutcome.refused) ?? .applied(.none)
        }

        /// Issues a ticket and queues its operation (unless the store failed or is closing, when
        /// the ticket is failed at once); returns it and the writer to wake, if it sleeps.
        mutating func issue(_ operation: PostgresOperation) -> (UInt64, CheckedContinuation<Void, Never>?) {
            issued += 1
            guard failure == nil, !closing else { return (issued, nil) }
            pending.append(PostgresQueuedTicket(sequence: issued, operation: operation))
            defer { sleepingWriter = nil }
            return (issued, sleepingWriter)
        }
    }

    private let state = Mutex(State())

    // MARK: Callers

    /// Queues an operation; returns its ticket's sequence number. Never blocks.
    func enqueue(_ operation: PostgresOperation) -> UInt64 {
        let (sequence, writer) = state.withLock { $0.issue(operation) }
        writer?.resume()
        return sequence
    }

    /// Queues an operation and waits for its outcome.
    func enqueueAndWait(_ operation: PostgresOperation) async -> PostgresTicketOutcome {
        await withCheckedContinuation { continuation in
            let (immediate, writer) = state.withLock {
                state -> (PostgresTicketOutcome?, CheckedContinuation<Void, Never>?) in
                let (sequence, writer) = state.issue(operation)
                if let outcome = state.settledOutcome(sequence) { return (outcome, writer) }
                state.waiters[sequence, default: []].append(.task(continuation))
                return (nil, writer)
            }
            writer?.resume()
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Waits for a ticket's outcome.
    func outcome(of sequence: UInt64) async -> PostgresTicketOutcome {
        await withCheckedContinuation { continuation in
            let immediate = state.withLock { state -> PostgresTicketOutcome? in
                if let outcome = state.settledOutcome(sequence) { return outcome }
                state.waiters[sequence, default: []].append(.task(continuation))
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Runs `body` right after the commit that settles a ticket; returns the outcome instead,
    /// without running `body`, when it is known at once.
    func notify(of sequence: UInt64, _ body: @escaping @Sendable (PostgresTicketOutcome) -> Void)
        -> PostgresTicketOutcome?
    {
        state.withLock { state -> PostgresTicketOutcome? in
            if let outcome = state.settledOutcome(sequence) { return outcome }
            state.waiters[sequence, default: []].append(.callback(body))
            return nil
        }
    }

    /// Returns once every ticket issued so far is settled, so that a read sees its writes;
    /// throws `.failed` once the store has failed or closed.
    func readBarrier() async throws(StoreError) {
        let latest = state.withLock { $0.issued }
        if latest > 0, case .storeFailed(let error) = await outcome(of: latest) { throw .failed(after: error) }
        if let failure = state.withLock({ $0.failure }) { throw .failed(after: failure.error) }
    }

    /// Throws `.failed` once the store has failed or closed.
    func checkNotFailed() throws(StoreError) {
        if let failure = state.withLock({ $0.failure }) { throw .failed(after: failure.error) }
    }

    var statistics: PostgresChannelStore.Statistics { state.withLock { $0.statistics } }

    /// Stops taking operations (later tickets fail with `.failed`); the writer commits what is
    /// queued, then ``nextBatch(limit:)`` returns nil.
    func beginClosing() {
        let writer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closing = true
            if state.failure == nil {
                state.failure = (StoreError(.failed, "the store is closed"), state.issued + 1, state.issued)
            }
            defer { state.sleepingWriter = nil }
            return state.sleepingWriter
        }
        writer?.resume()
    }

    // MARK: Writer

    /// Up to `limit` queued tickets, suspending while there are none; nil once closing (or
    /// failed) with nothing left.
    func nextBatch(limit: Int) async -> [PostgresQueuedTicket]? {
        while true {
            enum Step {
                case batch([PostgresQueuedTicket])
                case finished
                case sleep
            }
            let step = state.withLock { state -> Step in
                if !state.pending.isEmpty {
                    let count = min(limit, state.pending.count)
                    defer { state.pending.removeFirst(count) }
                    return .batch(Array(state.pending.prefix(count)))
                }
                return state.closing || state.failure != nil ? .finished : .sleep
            }
            switch step {
            case .batch(let batch): return batch
            case .finished: return nil
            case .sleep:
                await withCheckedContinuation { continuation in
                    let wakeNow = state.withLock { state -> Bool in
                        if !state.pending.isEmpty || state.closing || state.failure != nil { return true }
                        state.sleepingWriter = continuation
                        return false
                    }
                    if wakeNow { continuation.resume() }
                }
            }
        }
    }

    /// Records a committed batch and resumes its waiters (callbacks run here, on the writer).
    func finish(_ batch: [PostgresQueuedTicket], outcomes: [PostgresTicketOutcome], writes: Int) {
        guard let last = batch.last else { return }
        let resumptions = state.withLock { state in
            state.settledThrough = last.sequence
            state.statistics.commits += 1
            state.statistics.tickets += batch.count
            state.statistics.writes += writes
            state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            var resumptions: [(Waiter, PostgresTicketOutcome)] = []
            for (ticket, outcome) in zip(batch, outcomes) {
                if case .refused(let error) = outcome {
                    state.refused[ticket.sequence] = error
                    state.statistics.refusedTickets += 1
                }
                for waiter in state.waiters.removeValue(forKey: ticket.sequence) ?? [] {
                    resumptions.append((waiter, outcome))
                }
            }
            return resumptions
        }
        for (waiter, outcome) in resumptions { waiter.resume(outcome) }
    }

    /// Records that a batch could not be committed: the store fails, and every waiter is
    /// resumed with the error.
    func fail(_ batch: [PostgresQueuedTicket], with error: StoreError) {
        guard let first = batch.first, let last = batch.last else { return }
        let resumptions = state.withLock { state in
            if state.failure == nil || state.closing {
                state.failure = (error, first.sequence, last.sequence)
            }
            state.pending = []
            var resumptions: [(Waiter, PostgresTicketOutcome)] = []
            for (sequence, waiters) in state.waiters {
                let outcome = state.settledOutcome(sequence) ?? .storeFailed(.failed(after: error))
                for waiter in waiters { resumptions.append((waiter, outcome)) }
            }
            state.waiters = [:]
            return resumptions
        }
        for (waiter, outcome) in resumptions { waiter.resume(outcome) }
    }
}
