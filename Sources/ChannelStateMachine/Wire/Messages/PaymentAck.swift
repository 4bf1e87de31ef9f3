/// `PaymentAck`: the server's acknowledgement of one ``UpdatePayment``.
///
/// bitcoinj leaves the whole `payment_ack` field out when there is no info; that is
/// ``ChannelMessage/paymentAck(_:)`` with `nil`. A present but empty `PaymentAck` is
/// `PaymentAck(info: nil)`.
public struct PaymentAck: Hashable, Sendable {
    /// Opaque application data attached to the acknowledgement; `nil` when the field is absent.
    public var info: [UInt8]?

    /// Creates the message.
    public init(info: [UInt8]? = nil) {
        self.info = info
    }
}
