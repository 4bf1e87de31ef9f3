/// Wall-clock timing and the warm-up-then-median protocol every figure follows.
enum BenchTiming {
    /// Seconds `body` takes.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return seconds(ContinuousClock.now - start)
    }

    /// Seconds `body` takes.
    static func secondsAsync(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return seconds(ContinuousClock.now - start)
    }

    /// A duration in seconds.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The median of `values` (the mean of the middle two for an even count; 0 when empty).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Runs `round` once to warm up, then `repeats` times, and returns the median of what the
    /// measured rounds return.
    static func medianAfterWarmUp(repeats: Int, _ round: () throws -> Double) rethrows -> Double {
        _ = try round()
        var values: [Double] = []
        for _ in 0..<max(1, repeats) { values.append(try round()) }
        return median(values)
    }

    /// Runs `round` once to warm up, then `repeats` times, and returns the median of what the
    /// measured rounds return.
    static func medianAfterWarmUp(repeats: Int, _ round: () async throws -> Double) async rethrows -> Double {
        _ = try await round()
        var values: [Double] = []
        for _ in 0..<max(1, repeats) { values.append(try await round()) }
        return median(values)
    }
}
