import BitcoinPrimitives

/// Timers a machine asks its caller to arm. Times are UNIX seconds, in the caller's clock.
public enum ChannelTimer: Sendable, Hashable {
    /// Server: settle the channel before the client's refund becomes valid.
    case settleBeforeExpiry(contractTxid: Hash256)
    /// Client: the refund's lock time has passed (plus a margin); broadcast contract and refund.
    case refundAfterExpiry(contractTxid: Hash256)
}

/// Which transaction a broadcast effect or result refers to.
public enum BroadcastPurpose: Sendable, Hashable {
    /// The contract.
    case contract
    /// The server's settlement.
    case settlement
    /// The client's refund.
    case refund
}
