import BitcoinPrimitives

/// The claims of a store shared by several nodes, as plain values, with their rules: the
/// in-memory store keeps one behind its lock, the PostgreSQL store applies the same rules in
/// SQL. Times are the store's clock, in UNIX seconds.
///
/// - A lease is valid while `now < expiresAt`.
/// - A claim is granted when the channel has no claim, when its lease has lapsed, or when the
///   claiming node holds it already; each grant takes the next token (tokens only grow) and is
///   logged.
/// - A channel being opened is claimed with a reserved token, only if it has no claim at all.
/// - A write fenced by a claim is applied only while that claim (node and token) is the
///   channel's and its lease is valid; the writes applied under each (channel, token, node) are
///   counted, so that an audit can show no token ever wrote from two nodes.
struct ClaimTable: Sendable {
    struct Lease: Sendable, Hashable {
        var nodeID: String
        var token: UInt64
        var expiresAt: UInt64
    }

    private(set) var leases: [Hash256: Lease] = [:]
    private var lastToken: UInt64 = 0
    private var grants: [ChannelClaim] = []
    /// Writes applied under each claim.
    private var writeCounts: [ChannelClaim: Int] = [:]

    /// The grants and the writes under each, for ``ClaimAudit``.
    var audit: ClaimAudit {
        ClaimAudit(
            grants: grants,
            writes: writeCounts.map {
                ClaimAudit.Writes(
                    contractTxid: $0.key.contractTxid, token: $0.key.token, nodeID: $0.key.nodeID, count: $0.value)
            })
    }

    mutating func reserveToken() -> UInt64 {
        lastToken += 1
        return lastToken
    }

    mutating func claim(_ txid: Hash256, nodeID: String, leaseSeconds: UInt64, now: UInt64)
        throws(ClaimError) -> ChannelClaim
    {
        if let held = leases[txid], held.nodeID != nodeID, now < held.expiresAt {
            throw .heldElsewhere(txid, node: held.nodeID)
        }
        let claim = ChannelClaim(contractTxid: txid, nodeID: nodeID, token: reserveToken())
        record(claim, leaseSeconds: leaseSeconds, now: now)
        return claim
    }

    mutating func claimOpened(_ claim: ChannelClaim, leaseSeconds: UInt64, now: UInt64) throws(StoreError) {
        guard claim.token <= lastToken else {
            throw StoreError(.claimLost, "token \(claim.token) was never reserved")
        }
        if let held = leases[claim.contractTxid] {
            throw StoreError(
                .claimLost, "channel \(claim.contractTxid.displayHex) is already claimed by \(held.nodeID)")
        }
        record(claim, leaseSeconds: leaseSeconds, now: now)
        writeCounts[claim, default: 0] += 1
    }

    mutating func checkHeld(_ claim: ChannelClaim, now: UInt64) throws(StoreError) {
        guard let held = leases[claim.contractTxid], held.nodeID == claim.nodeID, held.token == claim.token,
            now < held.expiresAt
        else { throw StoreError.claimLost(claim) }
        writeCounts[claim, default: 0] += 1
    }

    mutating func renew(_ claims: [ChannelClaim], leaseSeconds: UInt64, now: UInt64) -> Set<ChannelClaim> {
        var lost = Set<ChannelClaim>()
        for claim in claims {
            guard var held = leases[claim.contractTxid], held.nodeID == claim.nodeID, held.token == claim.token,
                now < held.expiresAt
            else {
                lost.insert(claim)
                continue
            }
            held.expiresAt = now.plus(leaseSeconds)
            leases[claim.contractTxid] = held
        }
        return lost
    }

    mutating func release(_ claim: ChannelClaim) {
        guard let held = leases[claim.contractTxid], held.nodeID == claim.nodeID, held.token == claim.token else {
            return
        }
        leases[claim.contractTxid] = nil
    }

    private mutating func record(_ claim: ChannelClaim, leaseSeconds: UInt64, now: UInt64) {
        leases[claim.contractTxid] = Lease(
            nodeID: claim.nodeID, token: claim.token, expiresAt: now.plus(leaseSeconds))
        grants.append(claim)
    }
}
