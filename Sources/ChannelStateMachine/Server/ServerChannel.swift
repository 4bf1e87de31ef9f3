import BitcoinPrimitives

/// The server side of one channel connection, as a pure state machine.
///
/// Every input (a received message, a lookup or broadcast result, a timer, a command) returns
/// the effects the caller must carry out, in order. The machine reads no clock (`now` is passed
/// in), does no IO, and changes its state only when an input has been fully validated: an
/// input that fails leaves the channel as it was and yields an `ERROR` for the client.
public struct ServerChannel: Sendable {
    /// The terms this server offers.
    public let config: ServerChannelConfig
    var state: ServerState
    /// The key offered in `INITIATE` if this connection opens a new channel.
    let newChannelKey: PrivateKey
    let newChannelKeyIndex: UInt32
    /// The connection closed while a broadcast was in flight: its outcome is still stored, and
    /// the machine closes then, sending nothing more.
    var connectionGone = false

    /// A machine for a new connection. `newChannelKey` (derived by the caller at
    /// `newChannelKeyIndex`) is used only if the client opens a new channel.
    public init(config: ServerChannelConfig, newChannelKey: PrivateKey, newChannelKeyIndex: UInt32) {
        self.config = config
        self.newChannelKey = newChannelKey
        self.newChannelKeyIndex = newChannelKeyIndex
        self.state = .awaitingClientVersion
    }

    /// A machine for a stored channel with no connection, for example to settle it at expiry
    /// or by an operator's command. `key` must be the key derived at `record.serverKeyIndex`.
    public init(config: ServerChannelConfig, restoring record: ServerChannelRecord, key: PrivateKey)
        throws(ChannelError)
    {
        self.config = config
        self.newChannelKey = key
        self.newChannelKeyIndex = record.serverKeyIndex
        self.state = .ready(try OpenServerChannel(record: record, key: key, payoutScript: config.payoutScript))
    }

    /// The open channel's record, if a channel is open on this machine.
    public var record: ServerChannelRecord? {
        switch state {
        case .ready(let channel), .awaitingContractBroadcast(let channel): return channel.record
        case .settling(let settling): return settling.channel.record
        default: return nil
        }
    }

    /// Whether the conversation is over.
    public var isClosed: Bool { if case .closed = state { return true } else { return false } }

    /// Feeds one framed message body received from the client.
    public mutating func receive(bytes: [UInt8], now: UInt64) -> [ServerEffect] {
        let message: ChannelMessage
        do { message = try ChannelMessage(decoding: bytes) } catch { return receiveUndecodable(error, now: now) }
        return receive(message, now: now)
    }

    /// Feeds one decoded message received from the client. A message out of order gets
    /// `ERROR SYNTAX_ERROR` before any of its fields is looked at.
    public mutating func receive(_ message: ChannelMessage, now: UInt64) -> [ServerEffect] {
        if case .closed = state { return [] }
        do throws(ChannelError) {
            guard expects(message.type) else { throw outOfOrder(message.type) }
            switch message {
            case .clientVersion(let version): return try receiveClientVersion(version, now: now)
            case .provideRefund(let refund): return try receiveRefund(refund)
            case .provideContract(let contract): return try receiveContract(contract, now: now)
            case .updatePayment(let payment): return try receivePayment(payment, now: now)
            case .close: return try receiveClose(now: now)
            case .error(let error):
                state = .closed
                return [
                    .report(.closed(.remoteError(code: error.code, explanation: error.explanation ?? ""))),
                    .closeConnection,
                ]
            default:
                throw ChannelError.syntax("\(message.type) is not a message a client sends")
            }
        } catch {
            return fail(error)
        }
    }

    /// The transport closed. The channel, if open, stays stored and can be resumed. While the
    /// contract or the settlement is being broadcast the machine waits for the outcome, so that
    /// it is stored (the channel open or failed; settled, or left `settling` for a retry), and
    /// closes then.
    public mutating func connectionClosed() -> [ServerEffect] {
        switch state {
        case .closed:
            return []
        case .awaitingContractBroadcast, .settling:
            connectionGone = true
            return []
        default:
            state = .closed
            return [.report(.closed(.connectionClosed))]
        }
    }

    /// A durable write failed: stop at once, acknowledging nothing further.
    public mutating func storeFailed(_ explanation: String) -> [ServerEffect] {
        fail(ChannelError(.other, "storage failure: \(explanation)", origin: .local))
    }

    /// Turns a failure into `ERROR`, a report and a close. The channel record is untouched.
    mutating func fail(_ error: ChannelError) -> [ServerEffect] {
        if case .closed = state { return [] }
        state = .closed
        guard !connectionGone else { return [.report(.closed(.localError(error)))] }
        let message = ChannelMessage.error(
            ErrorMessage(code: error.code, explanation: error.explanation, expectedValue: error.expectedValue))
        return [.send(message), .report(.closed(.localError(error))), .closeConnection]
    }
}
