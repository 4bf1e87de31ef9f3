import BitcoinPrimitives

/// `Initiate`: the server's terms for a new channel.
///
/// The amounts are kept as their `uint64` wire values. Decoding refuses values above 21e6 BTC
/// (see ``minAcceptedChannelAmount()`` and ``minPaymentAmount()``); ``expireTimeSecs`` is a
/// time and is left to the state machine to judge.
public struct Initiate: Hashable, Sendable {
    /// The server's public key for the contract.
    public var multisigKey: PublicKey
    /// The smallest contract value, in satoshis, the server opens a channel for.
    public var minAcceptedChannelSize: UInt64
    /// The UNIX time at which the client's refund becomes valid (the refund's lock time).
    public var expireTimeSecs: UInt64
    /// The smallest payment, in satoshis, the server accepts (the initial one included).
    public var minPayment: UInt64

    /// Creates the message.
    public init(multisigKey: PublicKey, minAcceptedChannelSize: UInt64, expireTimeSecs: UInt64, minPayment: UInt64) {
        self.multisigKey = multisigKey
        self.minAcceptedChannelSize = minAcceptedChannelSize
        self.expireTimeSecs = expireTimeSecs
        self.minPayment = minPayment
    }

    /// ``minAcceptedChannelSize`` as an amount; throws a ``WireError`` with code
    /// ``ErrorCode/channelValueTooLarge`` above 21e6 BTC.
    public func minAcceptedChannelAmount() throws(WireError) -> Amount {
        try WireValidation.amount(
            minAcceptedChannelSize, field: "Initiate.min_accepted_channel_size", code: .channelValueTooLarge,
            messageType: .initiate)
    }

    /// ``minPayment`` as an amount; throws a ``WireError`` with code
    /// ``ErrorCode/minPaymentTooLarge`` above 21e6 BTC.
    public func minPaymentAmount() throws(WireError) -> Amount {
        try WireValidation.amount(
            minPayment, field: "Initiate.min_payment", code: .minPaymentTooLarge, messageType: .initiate)
    }
}
