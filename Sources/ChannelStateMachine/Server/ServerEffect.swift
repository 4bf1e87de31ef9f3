import BitcoinPrimitives

/// What a server machine asks its caller to do, in order. A `persist` must be durable before
/// any later effect is carried out.
public enum ServerEffect: Sendable {
    /// Send this message to the client.
    case send(ChannelMessage)
    /// Write this durably before carrying out any later effect.
    case persist(ServerStoreUpdate)
    /// Look up a stored channel to resume; answer with
    /// ``ServerChannel/storedChannelFound(_:key:now:)`` or ``ServerChannel/storedChannelMissing(now:)``.
    case lookUpStoredChannel(contractTxid: Hash256)
    /// Broadcast; answer with ``ServerChannel/broadcastCompleted(_:succeeded:now:)``.
    case broadcast(Transaction, BroadcastPurpose)
    /// Call `timerFired` with this timer at this UNIX time, unless it is cancelled first.
    case armTimer(ChannelTimer, at: UInt64)
    /// Forget this timer.
    case cancelTimer(ChannelTimer)
    /// Tell the application.
    case report(ServerEvent)
    /// Close the transport after flushing what was sent.
    case closeConnection
}

/// Events a server machine reports to the application.
public enum ServerEvent: Sendable, Hashable {
    /// A channel was opened (or resumed) on this connection.
    case channelOpened(contractTxid: Hash256, value: Amount, expiry: UInt64, version: ProtocolVersion, resumed: Bool)
    /// The client paid `amount` more (total `totalToServer`), with the payment's `info`.
    case paymentReceived(contractTxid: Hash256, amount: Amount, totalToServer: Amount, info: [UInt8]?)
    /// The channel was settled by this transaction.
    case settled(contractTxid: Hash256, settlement: Transaction, fee: Amount)
    /// Settlement is impossible: the server's share does not cover the fee.
    case settlementImpossible(contractTxid: Hash256, reason: String)
    /// The conversation ended.
    case closed(CloseReason)
}
