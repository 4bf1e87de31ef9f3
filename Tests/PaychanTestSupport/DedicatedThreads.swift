import Foundation
import Testing

/// Runs the jobs of tasks that prefer it each on a thread of its own, outside Swift's
/// cooperative pool.
///
/// The pool has one thread per core: two on a CI machine. A test that blocks one of them
/// (waiting for a child process, sleeping a thread, reading a pipe) for a minute leaves every
/// other test in the process half the machine, and two such tests leave them nothing: their
/// timeouts then fire although nothing they test was slow.
public final class DedicatedThreadExecutor: TaskExecutor {
    public static let shared = DedicatedThreadExecutor()

    private static let marker = "paychan.test.dedicated-thread"

    /// Whether the calling code runs on one of this executor's threads.
    public static var isCurrentThread: Bool { Thread.current.threadDictionary[marker] != nil }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread {
            Thread.current.threadDictionary[Self.marker] = true
            job.runSynchronously(on: executor)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Runs each test of a suite (or one test) in a task that prefers ``DedicatedThreadExecutor``:
/// every step of it, and of the child tasks it starts, on a thread of its own, so that what
/// blocks a thread there (child processes, `Thread.sleep`, pipes) does not hold the
/// cooperative pool that every other test needs.
public struct DedicatedThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(DedicatedThreadExecutor.shared) { try await function() }
    }
}

extension Trait where Self == DedicatedThreadsTrait {
    /// Each test on threads of its own, off the cooperative pool (see ``DedicatedThreadsTrait``).
    public static var onDedicatedThreads: Self { DedicatedThreadsTrait() }
}
