extension UInt64 {
    /// `self + other`, or `UInt64.max` when that overflows: deadlines built from configured
    /// intervals never trap, however large the interval.
    func plus(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
