import BitcoinPrimitives
import ChannelStateMachine

#if canImport(Glibc)
    import Glibc
#endif

/// How a ``ClientManager`` opens and looks after its channels.
public struct ClientManagerConfig: Sendable {
    /// Defaults for new channels (version, time window, limits, refund fee and margin); the
    /// channel value is given to each ``ClientSession/open(value:)``.
    public var channel: ClientChannelConfig
    /// A stored channel is offered for reopening only with at least this much left (and never
    /// less than its server's minimum payment).
    public var reopenMinimumValue: Amount
    /// A stored channel is offered for reopening only if it expires later than this many
    /// seconds from now.
    public var reopenMinimumLifetime: UInt64
    /// When a refund is not accepted yet (lock time not reached on chain), try again this many
    /// seconds later.
    public var refundRetryInterval: UInt64
    /// Whether a payment made alone (no other ``ClientSession/pay(_:info:)`` of this manager
    /// under way) is signed on a queue of its own while its lower balance is being written (it
    /// is still sent only once that write is durable), so that a sequential payment costs the
    /// write, not the write and the signature. Worth it with more than one core, which is the
    /// default; on one core the queue only adds a thread hop.
    public var signsWhileWriting: Bool
    /// Called with every event, synchronously; keep it short.
    public var eventHandler: (@Sendable (ClientManagerEvent) -> Void)?

    /// A configuration; every default is documented with its property.
    public init(
        channel: ClientChannelConfig = ClientChannelConfig(channelValue: .zero),
        reopenMinimumValue: Amount = Amount(exactly: 1) ?? .zero,
        reopenMinimumLifetime: UInt64 = 3 * 3600,
        refundRetryInterval: UInt64 = 600,
        signsWhileWriting: Bool = ClientManagerConfig.severalCores,
        eventHandler: (@Sendable (ClientManagerEvent) -> Void)? = nil
    ) {
        self.channel = channel
        self.reopenMinimumValue = reopenMinimumValue
        self.reopenMinimumLifetime = reopenMinimumLifetime
        self.refundRetryInterval = refundRetryInterval
        self.signsWhileWriting = signsWhileWriting
        self.eventHandler = eventHandler
    }
}

extension ClientManagerConfig {
    /// Whether this machine has more than one core online.
    public static var severalCores: Bool { sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 }
}

/// What a ``ClientManager`` reports to the application.
public enum ClientManagerEvent: Sendable {
    /// An event of one channel's machine, on session `session`.
    case channel(ClientEvent, session: UInt64)
    /// A transaction was handed to the chain backend, and whether it was accepted.
    case broadcast(Transaction, BroadcastPurpose, accepted: Bool)
    /// A channel past its expiry was refunded by this transaction.
    case refunded(contractTxid: Hash256, refund: Transaction)
    /// A channel was found settled on chain (its settlement never reached us on the wire).
    case settledOnChain(contractTxid: Hash256, spendingTxid: Hash256)
    /// Something failed outside any one conversation.
    case failure(String)
}

/// A channel ready for payments.
public struct OpenedChannel: Sendable, Hashable {
    /// The contract's txid, the channel's identity.
    public let contractTxid: Hash256
    /// The channel's value (contract output 0).
    public let value: Amount
    /// What the client still holds in the channel.
    public let valueLeft: Amount
    /// UNIX time at which the client's refund becomes valid.
    public let expiry: UInt64
    /// Whether a stored channel was resumed rather than a new one funded.
    public let resumed: Bool
}

/// A payment the server acknowledged.
public struct PaymentReceipt: Sendable, Hashable {
    /// The amount of this payment.
    public let amount: Amount
    /// What is left in the channel after it.
    public let valueLeft: Amount
    /// The server's `PAYMENT_ACK.info`.
    public let info: [UInt8]?
}

/// Why a client session command failed.
public enum ClientSessionError: Error, Sendable, CustomStringConvertible {
    /// ``ClientSession/open(value:)`` was already called on this session.
    case alreadyOpened
    /// The machine refused the payment (no open channel, zero, more than is left).
    case payment(PaymentError)
    /// The conversation ended before the command finished. For a server's `ERROR` the reason
    /// carries its code.
    case ended(CloseReason)
    /// The store failed.
    case store(StoreError)
    /// A key could not be derived.
    case keys(KeyDerivationError)
    /// The manager was shut down.
    case shutDown

    public var description: String {
        switch self {
        case .alreadyOpened: return "this session already opened a channel"
        case .payment(let error): return "payment refused: \(error)"
        case .ended(let reason): return "the channel conversation ended: \(reason)"
        case .store(let error): return error.description
        case .keys(let error): return "key derivation failed: \(error)"
        case .shutDown: return "the client manager is shut down"
        }
    }
}
