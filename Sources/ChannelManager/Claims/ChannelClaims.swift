import BitcoinPrimitives

/// How a server node claims the channels it serves, when several nodes serve one set of
/// channels from one shared store (see ``ChannelClaim``).
///
/// A ``ServerManager`` claims a channel before it serves it (a resume, an expiry settlement, a
/// fee bump, a close by hand), renews the claims of the channels it serves every third of
/// ``leaseSeconds`` (dropping the connections of those it lost) and releases a claim when its
/// session ends. A channel being opened is claimed inside the write that stores it
/// (``StoreWrite/claimOpened(_:leaseSeconds:)``), with a token reserved beforehand
/// (``reserveToken()``). When ``fencesWrites`` is true every write of a channel carries its claim
/// (``StoreWrite/claimHeld(_:)``) and the store refuses it once the claim is lost.
///
/// Implementations: ``SingleNodeClaims`` (one node; nothing to claim), the in-memory store's
/// (``InMemoryChannelStore/claims(nodeID:leaseSeconds:)``), and the PostgreSQL store's.
public protocol ChannelClaims: Sendable {
    /// This node's identity in the claims.
    var nodeID: String { get }
    /// How long a claim lasts without a renewal, in seconds (of the store's clock).
    var leaseSeconds: UInt64 { get }
    /// Whether writes carry their claim for the store to check. False only when no other node
    /// can write the store.
    var fencesWrites: Bool { get }

    /// Reserves a fencing token for a channel about to be opened; the claim is recorded by the
    /// write that stores the channel (``StoreWrite/claimOpened(_:leaseSeconds:)``).
    func reserveToken() async throws(ClaimError) -> UInt64
    /// Claims a stored channel for this node with a new token: granted when no node holds it,
    /// when its holder's lease has lapsed, or when this node holds it (the old claim of this
    /// node is then superseded). Throws ``ClaimError/heldElsewhere(_:node:)`` otherwise.
    func claim(_ contractTxid: Hash256) async throws(ClaimError) -> ChannelClaim
    /// Extends the leases of these claims (those this node still serves); returns the ones
    /// that could not be extended (lapsed, taken over or released meanwhile).
    func renew(_ claims: [ChannelClaim]) async throws(ClaimError) -> Set<ChannelClaim>
    /// Gives a claim up, so that another node may take the channel at once. A claim already
    /// lost is left as it is.
    func release(_ claim: ChannelClaim) async throws(ClaimError)
}

/// The claims of a server that is the only writer of its store (the SQLite store: its file is
/// locked by one process): every claim is granted at once, nothing is written, writes carry no
/// claim and renewals never lose one. Not for a store shared by several nodes.
public struct SingleNodeClaims: ChannelClaims {
    public let nodeID: String
    public var leaseSeconds: UInt64 { UInt64.max }
    public var fencesWrites: Bool { false }

    /// Claims for the one node, named `nodeID` in logs.
    public init(nodeID: String = "single") { self.nodeID = nodeID }

    public func reserveToken() async throws(ClaimError) -> UInt64 { 0 }

    public func claim(_ contractTxid: Hash256) async throws(ClaimError) -> ChannelClaim {
        ChannelClaim(contractTxid: contractTxid, nodeID: nodeID, token: 0)
    }

    public func renew(_ claims: [ChannelClaim]) async throws(ClaimError) -> Set<ChannelClaim> { [] }

    public func release(_ claim: ChannelClaim) async throws(ClaimError) {}
}
