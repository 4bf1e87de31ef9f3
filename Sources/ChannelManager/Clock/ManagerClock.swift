/// The managers' source of time, in UNIX seconds. Tests use ``ManualClock``.
public protocol ManagerClock: Sendable {
    /// The current time.
    func now() -> UInt64
    /// Suspends until `deadline` (or returns at once if it has passed). Throws
    /// `CancellationError` when the task is cancelled.
    func sleep(until deadline: UInt64) async throws
}
