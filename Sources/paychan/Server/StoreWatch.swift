import ChannelManager
import Synchronization

/// Watches a shared store for failure: a PostgreSQL store fails for good when its connection
/// or the database is lost (nothing of the failed writes is acknowledged), so a node whose
/// store failed stops, and its supervisor starts it again on a new store; its channels go to
/// the other nodes meanwhile (their claims lapse or were never renewed).
enum StoreWatch {
    /// Returns the error once a probe write (an empty commit, once a second) fails.
    static func waitForFailure(of store: any ChannelStore) async -> StoreError? {
        while !Task.isCancelled {
            do throws(StoreError) {
                try await store.waitUntilDurable(store.enqueue([]))
            } catch {
                return error
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
        return nil
    }

    /// Waits for SIGTERM/SIGINT or, with `store`, for it to fail; returns the failure if that
    /// came first.
    static func waitForTerminationOrFailure(of store: (any ChannelStore)?) async -> StoreError? {
        guard let store else {
            await SignalWaiter.waitForTermination()
            return nil
        }
        // The signal wait cannot be cancelled: race it in tasks of their own, first one wins.
        let race = FirstOutcome()
        return await withCheckedContinuation { continuation in
            race.set(continuation)
            Task {
                await SignalWaiter.waitForTermination()
                race.finish(nil)
            }
            Task { race.finish(await waitForFailure(of: store)) }
        }
    }
}

/// Resumes a continuation with the first outcome given, once.
private final class FirstOutcome: Sendable {
    private let state = Mutex<(done: Bool, continuation: CheckedContinuation<StoreError?, Never>?)>((false, nil))

    func set(_ continuation: CheckedContinuation<StoreError?, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func finish(_ error: StoreError?) {
        let continuation = state.withLock { state -> CheckedContinuation<StoreError?, Never>? in
            guard !state.done else { return nil }
            state.done = true
            return state.continuation
        }
        continuation?.resume(returning: error)
    }
}
