import BitcoinPrimitives

/// `UpdatePayment`: a new, lower client balance and the client's signature over the payment
/// transaction that pays it.
public struct UpdatePayment: Hashable, Sendable {
    /// What the client keeps, in satoshis (the `uint64` wire value). Decoding refuses values
    /// above 21e6 BTC; see ``clientChangeAmount()``.
    public var clientChangeValue: UInt64
    /// DER signature followed by the sighash byte, as received. Decoding only checks its length
    /// (``WireLimits/signatureLengths``); the state machine checks the encoding and the sighash
    /// type, so that it can answer with the right error.
    public var signature: [UInt8]
    /// Opaque application data attached to the payment; `nil` when the field is absent.
    public var info: [UInt8]?

    /// Creates the message.
    public init(clientChangeValue: UInt64, signature: [UInt8], info: [UInt8]? = nil) {
        self.clientChangeValue = clientChangeValue
        self.signature = signature
        self.info = info
    }

    /// ``clientChangeValue`` as an amount; throws a ``WireError`` with code
    /// ``ErrorCode/badTransaction`` (bitcoinj's answer to a value out of range) above 21e6 BTC.
    public func clientChangeAmount() throws(WireError) -> Amount {
        try WireValidation.amount(
            clientChangeValue, field: "UpdatePayment.client_change_value", code: .badTransaction,
            messageType: .updatePayment)
    }
}
