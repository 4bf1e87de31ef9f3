import BitcoinPrimitives

/// Everything a client keeps about one channel, enough to resume it, to prove what it has
/// signed away, and to take its refund. Holds no private key: the key is re-derived from
/// ``clientKeyIndex``.
public struct ClientChannelRecord: Sendable, Hashable {
    /// Lifecycle of a stored client channel.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Contract and refund stored and handed to the server; not yet confirmed open.
        case opening
        /// Open: payments can be made.
        case open
        /// The server would not resume it (it settled it while we were away, or never stored
        /// it): not offered for reopening again; refunded after expiry unless a settlement
        /// spends it first.
        case refused
        /// Settled by the server (settlement seen).
        case settled
        /// Refunded after expiry.
        case refunded
    }

    /// The protocol version the channel was opened with.
    public var version: ProtocolVersion
    /// Identifies the server (for example its host and port); reopen looks channels up by it.
    public var serverID: String
    /// The signed contract.
    public var contract: Transaction
    /// The contract's txid, the channel's identity.
    public var contractTxid: Hash256
    /// The value of contract output 0.
    public var channelValue: Amount
    /// The fully signed refund, valid from ``expiry``.
    public var refund: Transaction
    /// The index of the client's channel key (derived from the seed; no private key is stored).
    public var clientKeyIndex: UInt32
    /// The client's channel key.
    public var clientPublicKey: PublicKey
    /// The server's channel key.
    public var serverPublicKey: PublicKey
    /// UNIX time at which the refund becomes valid.
    public var expiry: UInt64
    /// What the client keeps under its latest signature (the change it signed for).
    public var valueLeft: Amount
    /// The server's minimum payment from `INITIATE`.
    public var minPayment: Amount
    /// Where the channel is in its life.
    public var state: State
    /// The transaction that ended the channel (settlement or refund), once known.
    public var settlement: Transaction?

    /// A record of these fields.
    public init(
        version: ProtocolVersion, serverID: String, contract: Transaction, channelValue: Amount, refund: Transaction,
        clientKeyIndex: UInt32, clientPublicKey: PublicKey, serverPublicKey: PublicKey, expiry: UInt64,
        valueLeft: Amount, minPayment: Amount, state: State, settlement: Transaction? = nil
    ) {
        self.version = version
        self.serverID = serverID
        self.contract = contract
        self.contractTxid = contract.txid
        self.channelValue = channelValue
        self.refund = refund
        self.clientKeyIndex = clientKeyIndex
        self.clientPublicKey = clientPublicKey
        self.serverPublicKey = serverPublicKey
        self.expiry = expiry
        self.valueLeft = valueLeft
        self.minPayment = minPayment
        self.state = state
        self.settlement = settlement
    }

    /// Everything signed over to the server so far.
    public var paidToServer: Amount { (try? channelValue.subtracting(valueLeft)) ?? .zero }
}

/// A durable write a client machine asks for. The caller must finish it before carrying out
/// the effects that follow it (in particular before sending the `UPDATE_PAYMENT` it justifies).
public enum ClientStoreUpdate: Sendable, Hashable {
    /// Insert or replace a whole channel record.
    case channel(ClientChannelRecord)
    /// A lower balance, signed and about to be sent.
    case payment(contractTxid: Hash256, valueLeft: Amount)
    /// A new lifecycle state, with the settlement when there is one.
    case state(contractTxid: Hash256, ClientChannelRecord.State, settlement: Transaction?)
}
