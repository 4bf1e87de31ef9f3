import Synchronization

/// A clock that moves only when told to: tests and simulations drive expiry with it.
public final class ManualClock: ManagerClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: UInt64
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>

    /// A clock reading `now` (UNIX seconds).
    public init(now: UInt64) { state = Mutex(State(now: now)) }

    public func now() -> UInt64 { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock (lets tests wait until timers are armed).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves the clock to `time` (never backwards) and wakes every sleeper whose deadline passed.
    public func advance(to time: UInt64) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, time)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: UInt64) {
        let target = state.withLock { $0.now.addingReportingOverflow(seconds) }
        advance(to: target.overflow ? UInt64.max : target.partialValue)
    }

    public func sleep(until deadline: UInt64) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.now >= deadline || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
