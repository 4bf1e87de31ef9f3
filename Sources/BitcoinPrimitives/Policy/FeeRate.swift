/// A fee rate in satoshis per 1,000 virtual bytes (sat/kvB), as Bitcoin Core's `CFeeRate`.
///
/// Rates are never negative and never above 21,000,000 BTC per kvB; every computation is
/// checked and throws ``FeeError`` rather than overflowing.
public struct FeeRate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The rate in satoshis per 1,000 virtual bytes.
    public let satoshisPerKilovirtualByte: Int64

    /// No fee.
    public static let zero = FeeRate(unchecked: 0)

    /// Bitcoin Core's default dust relay fee (`DUST_RELAY_TX_FEE`): 3,000 sat/kvB.
    public static let defaultDustRelayFee = FeeRate(unchecked: 3_000)

    /// Bitcoin Core's default minimum relay fee (`DEFAULT_MIN_RELAY_TX_FEE`): 1,000 sat/kvB.
    public static let defaultMinimumRelayFee = FeeRate(unchecked: 1_000)

    private init(unchecked: Int64) { satoshisPerKilovirtualByte = unchecked }

    /// A rate of `satoshisPerKilovirtualByte` sat/kvB.
    /// - Throws: ``FeeError/negativeRate(_:)`` or ``FeeError/rateTooLarge``.
    public init(satoshisPerKilovirtualByte: Int64) throws(FeeError) {
        guard satoshisPerKilovirtualByte >= 0 else { throw .negativeRate(satoshisPerKilovirtualByte) }
        guard satoshisPerKilovirtualByte <= Amount.maxMoney.satoshis else { throw .rateTooLarge }
        self.satoshisPerKilovirtualByte = satoshisPerKilovirtualByte
    }

    /// A rate of `satoshisPerVirtualByte` sat/vB (1,000 times as many sat/kvB).
    public init(satoshisPerVirtualByte: Int64) throws(FeeError) {
        let (perKilo, overflow) = satoshisPerVirtualByte.multipliedReportingOverflow(by: 1_000)
        guard satoshisPerVirtualByte >= 0 else { throw .negativeRate(satoshisPerVirtualByte) }
        guard !overflow else { throw .rateTooLarge }
        try self.init(satoshisPerKilovirtualByte: perKilo)
    }

    /// The rate a transaction of `virtualSize` paying `fee` pays, rounded down (Core's
    /// `CFeeRate(fee, size)`); zero for a size of zero.
    public init(fee: Amount, virtualSize: Int) throws(FeeError) {
        guard virtualSize >= 0 else { throw .invalidSize(virtualSize) }
        guard virtualSize > 0 else {
            self = .zero
            return
        }
        // fee ≤ 2.1e15, so fee × 1000 fits in Int64.
        try self.init(satoshisPerKilovirtualByte: fee.satoshis * 1_000 / Int64(virtualSize))
    }

    /// The rate in sat/vB, rounded down.
    public var satoshisPerVirtualByte: Int64 { satoshisPerKilovirtualByte / 1_000 }

    /// The fee for `virtualSize` virtual bytes, rounded up, and at least 1 satoshi for a
    /// non-zero size at a non-zero rate (Core's `CFeeRate::GetFee`).
    /// - Throws: ``FeeError/invalidSize(_:)`` or ``FeeError/feeAboveMaximum``.
    public func fee(forVirtualSize virtualSize: Int) throws(FeeError) -> Amount {
        guard virtualSize >= 0 else { throw .invalidSize(virtualSize) }
        let (product, overflow) = satoshisPerKilovirtualByte.multipliedReportingOverflow(by: Int64(virtualSize))
        guard !overflow else { throw .feeAboveMaximum }
        // Rounding up: (product + 999) / 1000 without overflow.
        let fee = product / 1_000 + (product % 1_000 == 0 ? 0 : 1)
        do { return try Amount(satoshis: fee) } catch { throw .feeAboveMaximum }
    }

    /// The fee for a BIP141 weight: the virtual size is the weight divided by 4, rounded up.
    public func fee(forWeight weight: Int) throws(FeeError) -> Amount {
        guard weight >= 0 else { throw .invalidSize(weight) }
        return try fee(forVirtualSize: weight / 4 + (weight % 4 == 0 ? 0 : 1))
    }

    /// The fee for `transaction` as it is serialized now (its ``Transaction/virtualSize``).
    /// For a transaction still to be signed, add the expected signature sizes first.
    public func fee(for transaction: Transaction) throws(FeeError) -> Amount {
        try fee(forVirtualSize: transaction.virtualSize)
    }

    /// Orders rates from cheapest to dearest.
    public static func < (lhs: FeeRate, rhs: FeeRate) -> Bool {
        lhs.satoshisPerKilovirtualByte < rhs.satoshisPerKilovirtualByte
    }

    /// The rate in sat/vB with three decimals, for example `1.234 sat/vB`.
    public var description: String {
        let whole = satoshisPerKilovirtualByte / 1_000
        let fraction = satoshisPerKilovirtualByte % 1_000
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: 3 - digits.count))\(digits) sat/vB"
    }
}
