import Metrics

/// A store's commits, as swift-metrics counters and a timer (no-ops unless the application
/// bootstraps a metrics backend): `paychan_store_commits_total`,
/// `paychan_store_commit_failures_total` and `paychan_store_commit_duration_seconds`, each with
/// the store's kind as the `store` label. A store's writer records every commit it makes, each
/// of which may carry many tickets (group commit).
public struct StoreCommitMetrics: Sendable {
    private let commits: Counter
    private let failures: Counter
    private let duration: Timer

    /// The metrics of stores of one kind (`sqlite`, `postgres`).
    public init(store kind: String) {
        let dimensions = [("store", kind)]
        commits = Counter(label: "paychan_store_commits_total", dimensions: dimensions)
        failures = Counter(label: "paychan_store_commit_failures_total", dimensions: dimensions)
        duration = Timer(label: "paychan_store_commit_duration_seconds", dimensions: dimensions)
    }

    /// Records a commit that began at `start`: made, or failed.
    public func record(since start: ContinuousClock.Instant, succeeded: Bool) {
        duration.record(duration: ContinuousClock.now - start)
        (succeeded ? commits : failures).increment()
    }
}
