/// Why a fee rate or a fee could not be computed.
public enum FeeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A negative fee rate.
    case negativeRate(Int64)
    /// A fee rate above 21,000,000 BTC per 1,000 virtual bytes, or one that overflows when
    /// converted to sat/kvB.
    case rateTooLarge
    /// A negative size (or weight).
    case invalidSize(Int)
    /// The fee would exceed 21,000,000 BTC (or overflow on the way).
    case feeAboveMaximum

    /// A short English explanation of the error.
    public var description: String {
        switch self {
        case .negativeRate(let rate): return "fee rate \(rate) is negative"
        case .rateTooLarge: return "fee rate is above 21,000,000 BTC per kvB"
        case .invalidSize(let size): return "size \(size) is negative"
        case .feeAboveMaximum: return "fee is above 21,000,000 BTC"
        }
    }
}
