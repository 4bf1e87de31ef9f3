import BitcoinPrimitives

/// Everything a server keeps about one channel, enough to rebuild its machine after a restart
/// and to settle it without the client. Holds no private key: the key is re-derived from
/// ``serverKeyIndex``.
public struct ServerChannelRecord: Sendable, Hashable {
    /// Lifecycle of a stored server channel.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Stored; the contract broadcast has not been confirmed to us yet.
        case opening
        /// Open: payments accepted.
        case open
        /// A settlement was built and is being broadcast.
        case settling
        /// Settled on chain (the settlement was accepted).
        case settled
        /// Ended without settlement (the contract broadcast failed).
        case failed
    }

    /// The protocol version the channel was opened with.
    public var version: ProtocolVersion
    /// The client's signed contract.
    public var contract: Transaction
    /// The contract's txid, the channel's identity.
    public var contractTxid: Hash256
    /// Value of contract output 0.
    public var channelValue: Amount
    /// The index of the server's channel key (derived from the seed; no private key is stored).
    public var serverKeyIndex: UInt32
    /// The server's channel key.
    public var serverPublicKey: PublicKey
    /// The client's channel key.
    public var clientPublicKey: PublicKey
    /// Where the client's change goes in every payment and in the settlement.
    public var clientOutputScript: Script
    /// UNIX time at which the client's refund becomes valid.
    public var expiry: UInt64
    /// The most the client has signed over to the server.
    public var bestValueToServer: Amount
    /// The client's signature (with sighash byte) for ``bestValueToServer``.
    public var bestSignature: [UInt8]
    /// Where the channel is in its life.
    public var state: State
    /// The settlement, once built.
    public var settlement: Transaction?

    /// A record of these fields.
    public init(
        version: ProtocolVersion, contract: Transaction, channelValue: Amount, serverKeyIndex: UInt32,
        serverPublicKey: PublicKey, clientPublicKey: PublicKey, clientOutputScript: Script, expiry: UInt64,
        bestValueToServer: Amount, bestSignature: [UInt8], state: State, settlement: Transaction? = nil
    ) {
        self.version = version
        self.contract = contract
        self.contractTxid = contract.txid
        self.channelValue = channelValue
        self.serverKeyIndex = serverKeyIndex
        self.serverPublicKey = serverPublicKey
        self.clientPublicKey = clientPublicKey
        self.clientOutputScript = clientOutputScript
        self.expiry = expiry
        self.bestValueToServer = bestValueToServer
        self.bestSignature = bestSignature
        self.state = state
        self.settlement = settlement
    }

    /// The client's change in the best payment: `channelValue − bestValueToServer`.
    public var clientChange: Amount {
        (try? channelValue.subtracting(bestValueToServer)) ?? .zero
    }
}

/// A durable write a server machine asks for. The caller must finish it before carrying out
/// the effects that follow it.
public enum ServerStoreUpdate: Sendable, Hashable {
    /// Insert or replace a whole channel record.
    case channel(ServerChannelRecord)
    /// A better payment on an open channel.
    case payment(contractTxid: Hash256, bestValueToServer: Amount, signature: [UInt8])
    /// A new lifecycle state, with the settlement when there is one.
    case state(contractTxid: Hash256, ServerChannelRecord.State, settlement: Transaction?)

    /// The channel the update is for.
    public var contractTxid: Hash256 {
        switch self {
        case .channel(let record): return record.contractTxid
        case .payment(let txid, _, _), .state(let txid, _, _): return txid
        }
    }
}
