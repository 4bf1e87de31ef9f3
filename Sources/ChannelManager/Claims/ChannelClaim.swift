import BitcoinPrimitives

/// A node's claim on one server channel: a lease, kept alive by heartbeats, and judged by the
/// store's clock (the database's, for a shared store), never the node's own.
///
/// `token` is a fencing token: every claim of any channel takes a new one from one sequence that
/// only grows, so a later claim of a channel always has a larger token than an earlier one. Each
/// write of the channel carries the claim (``StoreWrite/claimHeld(_:)``) and the store checks it
/// inside the write's own transaction: once another node has claimed the channel, or the lease
/// lapsed, the writes of the old claim are refused (``StoreError/Kind/claimLost``), so a node
/// that was paused or cut off cannot store, and so cannot acknowledge, a payment.
public struct ChannelClaim: Sendable, Hashable, CustomStringConvertible {
    /// The channel's contract txid.
    public let contractTxid: Hash256
    /// The node that holds the claim.
    public let nodeID: String
    /// The fencing token of this claim.
    public let token: UInt64

    /// The claim `token` on channel `contractTxid`, held by `nodeID`.
    public init(contractTxid: Hash256, nodeID: String, token: UInt64) {
        self.contractTxid = contractTxid
        self.nodeID = nodeID
        self.token = token
    }

    public var description: String { "claim \(token) of \(contractTxid.displayHex) by \(nodeID)" }
}

/// Why a claim could not be taken, renewed or released.
public enum ClaimError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another node holds the channel and its lease has not lapsed.
    case heldElsewhere(Hash256, node: String)
    /// The claims could not be read or written (the database is unreachable, a store failed).
    case unavailable(String)

    public var description: String {
        switch self {
        case .heldElsewhere(let txid, let node): return "channel \(txid.displayHex) is held by node \(node)"
        case .unavailable(let reason): return "channel claims unavailable: \(reason)"
        }
    }
}
