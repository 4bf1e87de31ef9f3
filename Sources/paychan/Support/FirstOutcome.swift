import Synchronization

/// Resumes a continuation with the first outcome given, once: races work that cannot be
/// cancelled (a signal wait, a store write) against other work or a deadline.
final class FirstOutcome<Value: Sendable>: Sendable {
    private let state = Mutex<(done: Bool, continuation: CheckedContinuation<Value, Never>?)>((false, nil))

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func finish(_ value: Value) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard !state.done else { return nil }
            state.done = true
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
