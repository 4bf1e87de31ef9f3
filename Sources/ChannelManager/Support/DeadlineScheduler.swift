import Synchronization

/// Calls a handler for each key when its deadline (on a ``ManagerClock``) passes. One task
/// sleeps until the earliest deadline; scheduling an earlier one restarts it. Used for channel
/// expiry on both sides and for periodic chain checks.
final class DeadlineScheduler<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var deadlines: [Key: UInt64] = [:]
        var sleeper: Task<Void, Never>?
        var sleepingUntil: UInt64?
        var stopped = false
    }

    private let clock: any ManagerClock
    private let handler: @Sendable (Key) async -> Void
    private let state = Mutex(State())

    init(clock: any ManagerClock, handler: @escaping @Sendable (Key) async -> Void) {
        self.clock = clock
        self.handler = handler
    }

    /// Arms (or re-arms) `key` for `deadline`. A deadline in the past fires at once.
    func schedule(_ key: Key, at deadline: UInt64) {
        state.withLock { state in
            guard !state.stopped else { return }
            state.deadlines[key] = deadline
            if state.sleepingUntil.map({ deadline < $0 }) ?? true { restart(&state) }
        }
    }

    func cancel(_ key: Key) {
        state.withLock { _ = $0.deadlines.removeValue(forKey: key) }
    }

    /// The armed deadline of `key`, if any.
    func deadline(of key: Key) -> UInt64? { state.withLock { $0.deadlines[key] } }

    /// How many keys are armed.
    var count: Int { state.withLock { $0.deadlines.count } }

    /// Stops firing; armed deadlines are forgotten.
    func stop() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            state.deadlines = [:]
            defer { state.sleeper = nil }
            return state.sleeper
        }
        task?.cancel()
    }

    /// Starts a new sleeper for the earliest deadline. Must hold the lock.
    private func restart(_ state: inout State) {
        state.sleeper?.cancel()
        guard let earliest = state.deadlines.values.min() else {
            state.sleeper = nil
            state.sleepingUntil = nil
            return
        }
        state.sleepingUntil = earliest
        state.sleeper = Task { [self] in
            do { try await clock.sleep(until: earliest) } catch { return }
            await fireDue()
        }
    }

    private func fireDue() async {
        let now = clock.now()
        let due = state.withLock { state -> [Key] in
            let due = state.deadlines.filter { $0.value <= now }.map(\.key)
            for key in due { state.deadlines[key] = nil }
            state.sleepingUntil = nil
            state.sleeper = nil
            if !state.stopped { restart(&state) }
            return due
        }
        for key in due { await handler(key) }
    }
}
