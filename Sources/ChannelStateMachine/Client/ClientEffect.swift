import BitcoinPrimitives

/// What a client machine asks its caller to do, in order. A `persist` must be durable before
/// any later effect is carried out.
public enum ClientEffect: Sendable {
    /// Send this message to the server.
    case send(ChannelMessage)
    /// Write this durably before carrying out any later effect.
    case persist(ClientStoreUpdate)
    /// Build and sign a transaction whose output 0 is exactly `output` (the channel output);
    /// answer with ``ClientChannel/contractFunded(_:now:)`` or ``ClientChannel/fundingFailed(_:)``.
    case fundContract(output: TransactionOutput)
    /// Broadcast the transaction (the contract or the refund).
    case broadcast(Transaction, BroadcastPurpose)
    /// Call `timerFired` with this timer at this UNIX time, unless it is cancelled first.
    case armTimer(ChannelTimer, at: UInt64)
    /// Forget this timer.
    case cancelTimer(ChannelTimer)
    /// Tell the application.
    case report(ClientEvent)
    /// Close the transport after flushing what was sent.
    case closeConnection
}

/// Events a client machine reports to the application.
public enum ClientEvent: Sendable, Hashable {
    /// The channel is open (new or resumed) and payments can be made.
    case channelOpened(contractTxid: Hash256, value: Amount, valueLeft: Amount, expiry: UInt64, resumed: Bool)
    /// The server asked us to fund a new channel although we offered a stored one.
    case resumeRefused(contractTxid: Hash256)
    /// The server acknowledged a payment of `amount`, which left us `valueLeft`, with its `info`.
    case paymentAcknowledged(amount: Amount, valueLeft: Amount, info: [UInt8]?)
    /// Payments that were sent but will never be acknowledged on this connection.
    case paymentsFailed(count: Int, reason: CloseReason)
    /// The server settled the channel with this (checked) transaction.
    case settled(contractTxid: Hash256, settlement: Transaction)
    /// The conversation ended.
    case closed(CloseReason)
}
