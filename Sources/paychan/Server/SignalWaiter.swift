import Dispatch
import Foundation
import Synchronization

/// Waits for SIGTERM or SIGINT (Ctrl-C).
enum SignalWaiter {
    static func waitForTermination() async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let queue = DispatchQueue(label: "paychan.signals")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once(continuation)
            let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
            for source in sources {
                source.setEventHandler { once.fire() }
                source.resume()
            }
            once.keep(sources)
        }
    }

    /// Resumes the continuation once, and keeps the signal sources alive until then.
    private final class Once: Sendable {
        private struct State: @unchecked Sendable {
            var continuation: CheckedContinuation<Void, Never>?
            var sources: [any DispatchSourceSignal] = []
        }

        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<Void, Never>) { state = Mutex(State(continuation: continuation)) }

        func keep(_ sources: [any DispatchSourceSignal]) {
            state.withLock { $0.sources = sources }
        }

        func fire() {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume()
        }
    }
}
