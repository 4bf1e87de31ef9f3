import BitcoinPrimitives

/// A server's terms and policies for the channels it accepts.
public struct ServerChannelConfig: Sendable, Hashable {
    /// The shortest time window a server may grant: the time it needs to settle before the
    /// client's refund unlocks (bitcoinj's `CHANNEL_EXPIRE_OFFSET`).
    public static let hardMinimumTimeWindow: UInt64 = 2 * 3600

    /// Protocol versions the server speaks.
    public var supportedVersions: Set<ProtocolVersion>
    /// Smallest contract value accepted, advertised in `INITIATE`.
    public var minChannelValue: Amount
    /// Smallest total the server must be paid (the initial payment at least this much);
    /// advertised in `INITIATE`. bitcoinj clients accept at most 1000 sat.
    public var minPayment: Amount
    /// Requested time windows are clamped into `minTimeWindow...maxTimeWindow` seconds.
    public var minTimeWindow: UInt64
    /// The longest time window granted, in seconds.
    public var maxTimeWindow: UInt64
    /// How the settlement fee is computed.
    public var settlementFee: SettlementFeePolicy
    /// Where the server's share of every settlement goes.
    public var payoutScript: Script
    /// What `PAYMENT_ACK.info` carries.
    public var ackInfo: AckInfoPolicy
    /// The server settles this many seconds before a channel's expiry (default 2 h).
    public var expirySettlementMargin: UInt64

    /// What the server puts in `PAYMENT_ACK.info`.
    public enum AckInfoPolicy: Sendable, Hashable {
        /// Echo the payment's `info` (bitcoinj's example server does this).
        case echo
        /// Send acknowledgements without info.
        case none
    }

    /// Terms with Paychan's defaults: versions 1 and 2, minimum channel 100,000 sat, minimum
    /// payment 1000 sat, windows clamped to 4 h … 7 days, settlement at 2 sat/vB.
    public init(
        payoutScript: Script,
        supportedVersions: Set<ProtocolVersion> = [.v1, .v2],
        minChannelValue: Amount = Amount(exactly: 100_000) ?? .zero,
        minPayment: Amount = Amount(exactly: 1000) ?? .zero,
        minTimeWindow: UInt64 = 4 * 3600,
        maxTimeWindow: UInt64 = 7 * 86400,
        settlementFee: SettlementFeePolicy = .feeRate(
            (try? FeeRate(satoshisPerVirtualByte: 2)) ?? .defaultMinimumRelayFee),
        ackInfo: AckInfoPolicy = .echo,
        expirySettlementMargin: UInt64 = 2 * 3600
    ) {
        self.payoutScript = payoutScript
        self.supportedVersions = supportedVersions
        self.minChannelValue = minChannelValue
        self.minPayment = minPayment
        self.minTimeWindow = minTimeWindow
        self.maxTimeWindow = maxTimeWindow
        self.settlementFee = settlementFee
        self.ackInfo = ackInfo
        self.expirySettlementMargin = expirySettlementMargin
    }

    /// Checks the terms are coherent; throws a local ``ChannelError`` naming the first problem.
    public func validate() throws(ChannelError) {
        guard !supportedVersions.isEmpty else { throw Self.invalid("no protocol version enabled") }
        guard minTimeWindow >= Self.hardMinimumTimeWindow else {
            throw Self.invalid("minimum time window \(minTimeWindow) s is below the 2 h hard minimum")
        }
        guard minTimeWindow <= maxTimeWindow else { throw Self.invalid("minimum time window above maximum") }
        guard expirySettlementMargin < minTimeWindow else {
            throw Self.invalid("settlement margin must be shorter than the minimum time window")
        }
        guard minPayment > .zero else { throw Self.invalid("minimum payment must be positive") }
        guard minPayment <= minChannelValue else { throw Self.invalid("minimum payment above minimum channel value") }
        guard !payoutScript.isEmpty else { throw Self.invalid("empty payout script") }
    }

    private static func invalid(_ why: String) -> ChannelError { ChannelError(.other, why, origin: .local) }
}
