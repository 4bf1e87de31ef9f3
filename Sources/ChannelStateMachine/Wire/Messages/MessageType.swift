/// The kind of a ``ChannelMessage``: the `type` field of bitcoinj's `TwoWayChannelMessage`.
///
/// The raw values are the wire numbers of `TwoWayChannelMessage.MessageType`; note that
/// ``paymentAck`` (11) was added after ``close`` (9) and ``error`` (10).
public enum MessageType: Int32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Client to server, first message of every connection.
    case clientVersion = 1
    /// Server to client: the protocol version the server will speak.
    case serverVersion = 2
    /// Server to client: the server's terms for a new channel.
    case initiate = 3
    /// Client to server, version 1 only: the client's key and the refund to sign.
    case provideRefund = 4
    /// Server to client, version 1 only: the server's signature over the refund.
    case returnRefund = 5
    /// Client to server: the signed contract and the initial payment.
    case provideContract = 6
    /// Server to client: the channel is open (no payload).
    case channelOpen = 7
    /// Client to server: a new, lower client balance and its signature.
    case updatePayment = 8
    /// Either way: settle (client), or settled / going away (server).
    case close = 9
    /// Either way: something went wrong; the sender closes the connection.
    case error = 10
    /// Server to client: the acknowledgement of one payment.
    case paymentAck = 11

    /// The name bitcoinj's `.proto` gives the type, e.g. `UPDATE_PAYMENT`.
    public var protoName: String {
        switch self {
        case .clientVersion: return "CLIENT_VERSION"
        case .serverVersion: return "SERVER_VERSION"
        case .initiate: return "INITIATE"
        case .provideRefund: return "PROVIDE_REFUND"
        case .returnRefund: return "RETURN_REFUND"
        case .provideContract: return "PROVIDE_CONTRACT"
        case .channelOpen: return "CHANNEL_OPEN"
        case .updatePayment: return "UPDATE_PAYMENT"
        case .close: return "CLOSE"
        case .error: return "ERROR"
        case .paymentAck: return "PAYMENT_ACK"
        }
    }

    /// The same as ``protoName``.
    public var description: String { protoName }
}
