/// One message of the payment-channel protocol: bitcoinj's `TwoWayChannelMessage`, reduced to
/// the payload its `type` names.
///
/// Decode with ``init(decoding:)-([UInt8])`` and encode with ``encoded()``. Both are
/// byte-compatible with protobuf-java as bitcoinj v0.15.10 uses it: a message decoded from
/// bitcoinj's bytes encodes back to the same bytes. Fields of the envelope other than the one
/// `type` names are ignored on decoding (as bitcoinj ignores them) and so are not re-encoded;
/// unknown fields are dropped too.
public enum ChannelMessage: Hashable, Sendable {
    /// `CLIENT_VERSION`.
    case clientVersion(ClientVersion)
    /// `SERVER_VERSION`.
    case serverVersion(ServerVersion)
    /// `INITIATE`.
    case initiate(Initiate)
    /// `PROVIDE_REFUND` (protocol version 1).
    case provideRefund(ProvideRefund)
    /// `RETURN_REFUND` (protocol version 1).
    case returnRefund(ReturnRefund)
    /// `PROVIDE_CONTRACT`.
    case provideContract(ProvideContract)
    /// `CHANNEL_OPEN`, which has no payload.
    case channelOpen
    /// `UPDATE_PAYMENT`.
    case updatePayment(UpdatePayment)
    /// `PAYMENT_ACK`. `nil` when the `payment_ack` field is absent, as bitcoinj sends it when
    /// the application returns no info (bytes `080b`).
    case paymentAck(PaymentAck?)
    /// `CLOSE`, with the settlement transaction when the server has settled the channel.
    case close(Settlement?)
    /// `ERROR`.
    case error(ErrorMessage)

    /// The message's type.
    public var type: MessageType {
        switch self {
        case .clientVersion: return .clientVersion
        case .serverVersion: return .serverVersion
        case .initiate: return .initiate
        case .provideRefund: return .provideRefund
        case .returnRefund: return .returnRefund
        case .provideContract: return .provideContract
        case .channelOpen: return .channelOpen
        case .updatePayment: return .updatePayment
        case .paymentAck: return .paymentAck
        case .close: return .close
        case .error: return .error
        }
    }
}
