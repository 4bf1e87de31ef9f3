/// How often, and how patiently, a call that failed for a passing reason is tried again
/// (connection refused or reset, HTTP 503, a cookie file not written yet, RPC -28 warming up).
public struct RetryPolicy: Sendable, Hashable {
    /// Tries in all, the first included (1: never retry).
    public var attempts: Int
    /// The wait before the first retry; it doubles after each until ``maximumDelay``.
    public var initialDelay: Duration
    /// The longest wait between two tries.
    public var maximumDelay: Duration

    /// A policy of `attempts` tries with waits doubling from `initialDelay` up to `maximumDelay`.
    public init(attempts: Int = 5, initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(2)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait after the failed try number `attempt` (1 for the first).
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, attempt) {
            delay = delay * 2
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }
}
