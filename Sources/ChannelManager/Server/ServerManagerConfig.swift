import BitcoinPrimitives
import ChannelStateMachine

/// How a ``ServerManager`` runs its channels.
public struct ServerManagerConfig: Sendable {
    /// The terms offered to clients (versions, minimums, windows, settlement fee, payout script,
    /// and the expiry settlement margin: channels are settled that long before their refund
    /// unlocks, 2 h by default).
    public var channel: ServerChannelConfig
    /// How often the chain is checked for settlements that have not confirmed, in seconds.
    public var chainCheckInterval: UInt64
    /// A settlement not confirmed this long after its broadcast is rebuilt at a higher fee rate.
    public var settlementRebroadcastAfter: UInt64
    /// The highest fee rate a bumped settlement may pay.
    public var maximumSettlementFeeRate: FeeRate
    /// At start, settled channels whose expiry passed longer ago than this (seconds) are not
    /// read back to be watched: by then their settlement, or the client's refund, has long been
    /// mined, and a server with a long history would otherwise read and check every channel it
    /// ever settled. Settlements of channels still within it are watched until they confirm.
    public var settledWatchAfterExpiry: UInt64
    /// With claims shared by several nodes (``ChannelClaims/fencesWrites``): how often, in
    /// seconds, the store is read again for channels opened or left by other nodes, so that
    /// every node arms their expiry and finishes what a dead node left (an interrupted opening
    /// or settlement).
    public var clusterRescanInterval: UInt64
    /// With claims shared by several nodes: how long past one lease a client's resume waits
    /// for the node holding its channel to let it go (or to be presumed dead) before it is
    /// answered `ERROR` (the client keeps its channel and may try again).
    public var claimWaitMargin: UInt64
    /// Called with every event, synchronously; keep it short.
    public var eventHandler: (@Sendable (ServerManagerEvent) -> Void)?

    /// A configuration with `channel`'s terms; every other default is documented with its property.
    public init(
        channel: ServerChannelConfig,
        chainCheckInterval: UInt64 = 60,
        settlementRebroadcastAfter: UInt64 = 1800,
        maximumSettlementFeeRate: FeeRate = (try? FeeRate(satoshisPerVirtualByte: 500)) ?? .defaultMinimumRelayFee,
        settledWatchAfterExpiry: UInt64 = 7 * 24 * 3600,
        clusterRescanInterval: UInt64 = 5,
        claimWaitMargin: UInt64 = 3,
        eventHandler: (@Sendable (ServerManagerEvent) -> Void)? = nil
    ) {
        self.channel = channel
        self.chainCheckInterval = chainCheckInterval
        self.settlementRebroadcastAfter = settlementRebroadcastAfter
        self.maximumSettlementFeeRate = maximumSettlementFeeRate
        self.settledWatchAfterExpiry = settledWatchAfterExpiry
        self.clusterRescanInterval = clusterRescanInterval
        self.claimWaitMargin = claimWaitMargin
        self.eventHandler = eventHandler
    }
}

/// What a ``ServerManager`` reports to the application.
public enum ServerManagerEvent: Sendable {
    /// An event of one channel's machine. `session` is nil for work done without a connection
    /// (expiry, a manual close, a fee bump).
    case channel(ServerEvent, session: UInt64?)
    /// A transaction was handed to the chain backend, and whether it was accepted.
    case broadcast(Transaction, BroadcastPurpose, accepted: Bool)
    /// A settlement that did not confirm was replaced by one paying a higher fee rate.
    case settlementBumped(contractTxid: Hash256, settlement: Transaction, feeRate: FeeRate)
    /// Something failed outside any one conversation (a store read, the chain).
    case failure(String)
}
