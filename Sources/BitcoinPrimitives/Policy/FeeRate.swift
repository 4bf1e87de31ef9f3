/// A fee rate in satoshis per 1000 virtual bytes (sat/kvB), as Bitcoin Core expresses relay and
/// dust fees. 1 sat/vB is 1000 sat/kvB.
public struct FeeRate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let satoshisPerKilovirtualByte: Int64

    /// A rate of `satoshisPerKilovirtualByte`; negative rates are clamped to zero.
    public init(satoshisPerKilovirtualByte: Int64) {
        self.satoshisPerKilovirtualByte = max(0, satoshisPerKilovirtualByte)
    }

    /// A rate in sat/vB.
    public static func satoshisPerVirtualByte(_ rate: Int64) -> FeeRate {
        let (product, overflow) = rate.multipliedReportingOverflow(by: 1000)
        return FeeRate(satoshisPerKilovirtualByte: overflow ? Int64.max : product)
    }

    /// Bitcoin Core's default dust relay fee (`DUST_RELAY_TX_FEE`): 3000 sat/kvB.
    public static let dustRelay = FeeRate(satoshisPerKilovirtualByte: 3000)
    /// Bitcoin Core's default minimum relay fee: 1000 sat/kvB.
    public static let minimumRelay = FeeRate(satoshisPerKilovirtualByte: 1000)

    /// The fee for `virtualSize` virtual bytes, rounded down as Bitcoin Core's `GetFee` does
    /// (but at least 1 sat for a non-zero rate and size); `nil` if it exceeds 21e6 BTC.
    public func fee(virtualSize: Int) -> Amount? {
        guard virtualSize >= 0 else { return nil }
        let (product, overflow) = satoshisPerKilovirtualByte.multipliedReportingOverflow(by: Int64(virtualSize))
        guard !overflow else { return nil }
        var fee = product / 1000
        if fee == 0 && product > 0 { fee = 1 }
        return try? Amount(satoshis: fee)
    }

    public static func < (lhs: FeeRate, rhs: FeeRate) -> Bool {
        lhs.satoshisPerKilovirtualByte < rhs.satoshisPerKilovirtualByte
    }

    public var description: String { "\(satoshisPerKilovirtualByte) sat/kvB" }
}
