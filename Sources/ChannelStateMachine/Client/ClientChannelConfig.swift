import BitcoinPrimitives

/// A client's wishes and limits for the channels it opens.
public struct ClientChannelConfig: Sendable, Hashable {
    /// Which protocol versions to ask for and accept.
    public var versionSelector: VersionSelector
    /// How much to lock into a new channel.
    public var channelValue: Amount
    /// Requested channel lifetime in seconds (bitcoinj's default: one day less a minute).
    public var timeWindow: UInt64
    /// Refuse servers whose minimum payment is above this (bitcoinj: 1000 sat).
    public var maxMinPayment: Amount
    /// Fee the refund pays (taken from the channel value).
    public var refundFee: Amount
    /// Broadcast the refund this many seconds after its lock time.
    public var refundMargin: UInt64

    /// Terms for a channel of `channelValue`; the other defaults are bitcoinj's.
    public init(
        channelValue: Amount,
        versionSelector: VersionSelector = .v2,
        timeWindow: UInt64 = 86340,
        maxMinPayment: Amount = Amount(exactly: 1000) ?? .zero,
        refundFee: Amount = Amount(exactly: 1000) ?? .zero,
        refundMargin: UInt64 = 300
    ) {
        self.channelValue = channelValue
        self.versionSelector = versionSelector
        self.timeWindow = timeWindow
        self.maxMinPayment = maxMinPayment
        self.refundFee = refundFee
        self.refundMargin = refundMargin
    }

    /// The latest expiry the client accepts for a channel asked for at `now`: bitcoinj's rule,
    /// `now + timeWindow + 60`.
    public func latestAcceptableExpiry(now: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(timeWindow)
        return overflow ? UInt64.max : sum &+ min(60, UInt64.max - sum)
    }
}
