import Foundation

/// The wall clock.
public struct SystemClock: ManagerClock {
    /// The wall clock.
    public init() {}

    public func now() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970)) }

    public func sleep(until deadline: UInt64) async throws {
        while true {
            let current = Date().timeIntervalSince1970
            let remaining = Double(deadline) - current
            if remaining <= 0 { return }
            // Sleep in slices of at most a minute so a wall-clock jump is noticed.
            try await Task.sleep(nanoseconds: UInt64(min(remaining, 60) * 1_000_000_000))
        }
    }
}
