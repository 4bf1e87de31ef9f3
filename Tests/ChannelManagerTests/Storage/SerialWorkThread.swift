import ChannelManager
import Dispatch
import Foundation
import Synchronization

/// One thread of the test's own that runs closures in the order they were handed over: what a
/// scheduled committer (``SQLiteChannelStore/Committer/scheduled(_:)``) runs its commits on.
final class SerialWorkThread: Sendable {
    private struct State {
        var work: [@Sendable () -> Void] = []
        var stopping = false
        var thread: pthread_t?
    }

    private let state = Mutex(State())
    /// Signalled once per closure handed over, and once by ``stop()``.
    private let available = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the thread.
    init(name: String = "paychan.test.committer") {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
        started.wait()
    }

    /// A committer whose runs are handed to this thread.
    var committer: SQLiteChannelStore.Committer {
        .scheduled { [self] work in execute(work) }
    }

    /// Whether the caller is this thread.
    var isCurrent: Bool {
        state.withLock { state in state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `work` on the thread after everything handed over before it. Dropped once stopped.
    func execute(_ work: @escaping @Sendable () -> Void) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.work.append(work)
            return true
        }
        if accepted { available.signal() }
    }

    /// Returns once everything handed over so far has run.
    func idle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            execute { continuation.resume() }
        }
    }

    /// Runs what is queued, then ends the thread; blocks until it has.
    func stop() {
        state.withLock { $0.stopping = true }
        available.signal()
        exited.wait()
    }

    private func run() {
        state.withLock { $0.thread = pthread_self() }
        started.signal()
        while true {
            available.wait()
            let next = state.withLock { state -> (@Sendable () -> Void)? in
                state.work.isEmpty ? nil : state.work.removeFirst()
            }
            // Each closure came with a signal of its own, so an empty queue means stop.
            guard let next else { break }
            next()
        }
        exited.signal()
    }
}

/// A schedule function that holds every run handed to it until the test releases it (or
/// never), counting how many it was handed.
final class HeldRuns: Sendable {
    private let held = Mutex<[@Sendable () -> Void]>([])
    private let calls = Atomic<Int>(0)

    /// A committer whose runs are held here.
    var committer: SQLiteChannelStore.Committer {
        .scheduled { [self] work in
            calls.add(1, ordering: .sequentiallyConsistent)
            held.withLock { $0.append(work) }
        }
    }

    /// How many runs the store has scheduled so far.
    var scheduled: Int { calls.load(ordering: .sequentiallyConsistent) }

    /// How many runs are held now.
    var holding: Int { held.withLock { $0.count } }

    /// Hands every held run to `thread`; returns how many there were.
    @discardableResult
    func release(to thread: SerialWorkThread) -> Int {
        let runs = held.withLock { held in
            defer { held = [] }
            return held
        }
        for run in runs { thread.execute(run) }
        return runs.count
    }
}

/// Thread-safe notes taken by callbacks.
final class Notes<Note: Sendable>: Sendable {
    private let notes = Mutex<[Note]>([])

    func append(_ note: Note) { notes.withLock { $0.append(note) } }

    var all: [Note] { notes.withLock { $0 } }
}

/// A one-shot gate a thread blocks on until the test opens it.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let reached = Atomic<Int>(0)

    /// Blocks the calling thread until ``open()``.
    func pass() {
        reached.add(1, ordering: .sequentiallyConsistent)
        semaphore.wait()
        semaphore.signal()
    }

    /// How many threads have reached the gate.
    var arrivals: Int { reached.load(ordering: .sequentiallyConsistent) }

    func open() { semaphore.signal() }
}
