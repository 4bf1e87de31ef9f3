import BitcoinPrimitives

/// The client side of one channel connection, as a pure state machine.
///
/// Every input (a received message, a funding or broadcast result, a timer, a command such as
/// ``pay(_:info:)``) returns the effects the caller must carry out, in order. The client never
/// sends `UPDATE_PAYMENT` before the lower balance it signs is persisted, and never hands over a
/// contract before its refund is signed, checked and persisted.
public struct ClientChannel: Sendable {
    /// The terms this client asks for and accepts.
    public let config: ClientChannelConfig
    /// The server this channel is with, as the client's store names it.
    public let serverID: String
    let key: PrivateKey
    let keyIndex: UInt32
    /// A stored open channel this connection offers to resume.
    let resumable: ClientChannelRecord?
    var state: ClientState = .idle

    /// A machine for one connection to `serverID`. `key` (derived by the caller at `keyIndex`)
    /// is the client's channel key. With `resuming`, the client first offers that stored
    /// channel (which must use the same key); if the server refuses, a new channel is funded.
    public init(
        config: ClientChannelConfig, serverID: String, key: PrivateKey, keyIndex: UInt32,
        resuming: ClientChannelRecord? = nil
    ) {
        self.config = config
        self.serverID = serverID
        self.key = key
        self.keyIndex = keyIndex
        self.resumable = resuming.flatMap { $0.clientPublicKey == key.publicKey && $0.state == .open ? $0 : nil }
    }

    /// The channel's record, once funded.
    public var record: ClientChannelRecord? {
        switch state {
        case .awaitingChannelOpen(let c), .ready(let c), .closing(let c): return c.record
        default: return nil
        }
    }

    /// Whether payments can be made now.
    public var isOpen: Bool { if case .ready = state { return true } else { return false } }

    /// Whether the conversation is over.
    public var isClosed: Bool { if case .closed = state { return true } else { return false } }

    /// Payments sent and not yet acknowledged.
    public var paymentsInFlight: Int {
        switch state {
        case .ready(let c), .closing(let c): return c.inFlight.count
        default: return 0
        }
    }

    /// Starts the conversation with `CLIENT_VERSION`.
    public mutating func start(now: UInt64) -> [ClientEffect] {
        guard case .idle = state else { return [] }
        state = .awaitingServerVersion
        let version = ClientVersion(
            major: config.versionSelector.requested.rawValue, minor: 0,
            previousChannelContractHash: resumable?.contractTxid, timeWindowSecs: config.timeWindow)
        return [.send(.clientVersion(version))]
    }

    /// Feeds one framed message body received from the server.
    public mutating func receive(bytes: [UInt8], now: UInt64) -> [ClientEffect] {
        let message: ChannelMessage
        do { message = try ChannelMessage(decoding: bytes) } catch { return receiveUndecodable(error) }
        return receive(message, now: now)
    }

    /// Feeds one decoded message received from the server. A message out of order gets
    /// `ERROR SYNTAX_ERROR` before any of its fields is looked at.
    public mutating func receive(_ message: ChannelMessage, now: UInt64) -> [ClientEffect] {
        if case .closed = state { return [] }
        do throws(ChannelError) {
            guard expects(message.type) else { throw outOfOrder(message.type) }
            switch message {
            case .serverVersion(let version): return try receiveServerVersion(version)
            case .initiate(let initiate): return try receiveInitiate(initiate, now: now)
            case .returnRefund(let refund): return try receiveReturnRefund(refund)
            case .channelOpen: return try receiveChannelOpen()
            case .paymentAck(let ack): return try receivePaymentAck(ack)
            case .close(let settlement): return receiveClose(settlement)
            case .error(let error):
                let reason = CloseReason.remoteError(code: error.code, explanation: error.explanation ?? "")
                return finish(reason, sending: nil)
            default:
                throw ChannelError.syntax("\(message.type) is not a message a server sends")
            }
        } catch {
            return fail(error)
        }
    }

    /// The transport closed: payments in flight fail at once.
    public mutating func connectionClosed() -> [ClientEffect] {
        finish(.connectionClosed, sending: nil)
    }

    /// A durable write failed: stop at once, sending nothing further.
    public mutating func storeFailed(_ explanation: String) -> [ClientEffect] {
        fail(ChannelError(.other, "storage failure: \(explanation)", origin: .local))
    }

    /// Turns a failure into `ERROR`, reports and a close.
    mutating func fail(_ error: ChannelError) -> [ClientEffect] {
        let message = ChannelMessage.error(
            ErrorMessage(code: error.code, explanation: error.explanation, expectedValue: error.expectedValue))
        return finish(.localError(error), sending: message)
    }

    /// Ends the conversation: fails payments in flight, optionally sends a last message.
    mutating func finish(_ reason: CloseReason, sending message: ChannelMessage?) -> [ClientEffect] {
        if case .closed = state { return [] }
        var effects: [ClientEffect] = []
        if let message { effects.append(.send(message)) }
        if paymentsInFlight > 0 { effects.append(.report(.paymentsFailed(count: paymentsInFlight, reason: reason))) }
        effects += [.report(.closed(reason)), .closeConnection]
        state = .closed
        return effects
    }
}
