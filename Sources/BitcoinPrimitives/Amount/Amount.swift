/// An amount of bitcoin in satoshis: never negative, never above the 21 million BTC cap.
///
/// Every arithmetic operation is checked; a result outside `0...Amount.maxMoney` throws
/// ``AmountError`` instead of wrapping or trapping.
public struct Amount: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Satoshis in one bitcoin.
    public static let satoshisPerBitcoin: Int64 = 100_000_000
    /// 21,000,000 BTC, the largest amount that can exist.
    public static let maxMoney = Amount(uncheckedSatoshis: 21_000_000 * satoshisPerBitcoin)
    /// No satoshis.
    public static let zero = Amount(uncheckedSatoshis: 0)

    /// The amount in satoshis, in `0...maxMoney`.
    public let satoshis: Int64

    private init(uncheckedSatoshis: Int64) { satoshis = uncheckedSatoshis }

    /// An amount of `satoshis`; throws when negative or above ``maxMoney``.
    public init(satoshis: Int64) throws(AmountError) {
        guard satoshis >= 0 else { throw .negative(satoshis) }
        guard satoshis <= Self.maxMoney.satoshis else { throw .aboveMaximum(satoshis) }
        self.satoshis = satoshis
    }

    /// An amount from an unsigned wire value (protobuf `uint64`); throws above ``maxMoney``.
    @_disfavoredOverload
    public init(satoshis: UInt64) throws(AmountError) {
        guard satoshis <= UInt64(Self.maxMoney.satoshis) else { throw .aboveMaximum(Int64(clamping: satoshis)) }
        self.satoshis = Int64(satoshis)
    }

    /// An amount known at compile time to be valid; for constants only. Returns `nil` when
    /// outside the valid range.
    public init?(exactly satoshis: Int64) {
        try? self.init(satoshis: satoshis)
    }

    /// The satoshis as an unsigned value (for wire fields).
    public var unsignedSatoshis: UInt64 { UInt64(satoshis) }

    /// `self + other`; throws when the sum exceeds ``maxMoney``.
    public func adding(_ other: Amount) throws(AmountError) -> Amount {
        // Both operands are at most maxMoney, so the Int64 sum cannot overflow.
        try Amount(satoshis: satoshis + other.satoshis)
    }

    /// `self - other`; throws when the difference is negative.
    public func subtracting(_ other: Amount) throws(AmountError) -> Amount {
        try Amount(satoshis: satoshis - other.satoshis)
    }

    /// `self * factor`; throws on overflow or a result above ``maxMoney``.
    public func multiplied(by factor: Int64) throws(AmountError) -> Amount {
        let (product, overflow) = satoshis.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw .aboveMaximum(Int64.max) }
        return try Amount(satoshis: product)
    }

    /// The sum of `amounts`; throws when it exceeds ``maxMoney``.
    public static func sum(_ amounts: some Sequence<Amount>) throws(AmountError) -> Amount {
        var total = Amount.zero
        for amount in amounts { total = try total.adding(amount) }
        return total
    }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.satoshis < rhs.satoshis }

    /// The smaller of two amounts.
    public static func min(_ a: Amount, _ b: Amount) -> Amount { a < b ? a : b }

    public var description: String { "\(satoshis) sat" }
}

/// Why an amount is not valid.
public enum AmountError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value is below zero (the satoshis given).
    case negative(Int64)
    /// The value is above ``Amount/maxMoney`` (the satoshis given).
    case aboveMaximum(Int64)

    public var description: String {
        switch self {
        case .negative(let v): return "amount \(v) sat is negative"
        case .aboveMaximum(let v): return "amount \(v) sat is above the 21,000,000 BTC cap"
        }
    }
}
