import BitcoinPrimitives

/// What a shared store recorded of its claims: every grant (channel, token, node) and how many
/// writes were applied under each (channel, token, node). Read it to check, from the store
/// itself, that no channel ever had writes from two nodes under one claim.
public struct ClaimAudit: Sendable, Hashable {
    /// Writes applied under one claim by one node.
    public struct Writes: Sendable, Hashable {
        /// The channel.
        public var contractTxid: Hash256
        /// The claim's fencing token.
        public var token: UInt64
        /// The node that wrote.
        public var nodeID: String
        /// How many writes it applied under the claim.
        public var count: Int

        /// `count` writes to `contractTxid` by `nodeID` under `token`.
        public init(contractTxid: Hash256, token: UInt64, nodeID: String, count: Int) {
            self.contractTxid = contractTxid
            self.token = token
            self.nodeID = nodeID
            self.count = count
        }
    }

    /// Every claim granted, in the order granted.
    public var grants: [ChannelClaim]
    /// Writes by (channel, token, node).
    public var writes: [Writes]

    /// An audit of these grants and writes.
    public init(grants: [ChannelClaim] = [], writes: [Writes] = []) {
        self.grants = grants
        self.writes = writes
    }

    /// Writes fenced by a (channel, token) that did not come from the one node granted that
    /// token, and tokens granted twice (to one channel or two): empty when the fences held.
    public var violations: [String] {
        var problems: [String] = []
        var grantedTo: [UInt64: ChannelClaim] = [:]
        for grant in grants {
            if let earlier = grantedTo[grant.token] {
                problems.append("token \(grant.token) granted twice: \(earlier) and \(grant)")
            }
            grantedTo[grant.token] = grant
        }
        var writers: [ChannelClaim: Set<String>] = [:]
        for entry in writes {
            let key = ChannelClaim(contractTxid: entry.contractTxid, nodeID: "", token: entry.token)
            writers[key, default: []].insert(entry.nodeID)
            let grant = grantedTo[entry.token]
            if grant?.contractTxid != entry.contractTxid || grant?.nodeID != entry.nodeID {
                problems.append(
                    "\(entry.count) writes of \(entry.contractTxid.displayHex) by \(entry.nodeID) under token "
                        + "\(entry.token), granted to \(grant.map(\.description) ?? "nobody")")
            }
        }
        for (key, nodes) in writers where nodes.count > 1 {
            problems.append(
                "channel \(key.contractTxid.displayHex) written under token \(key.token) by \(nodes.sorted())")
        }
        return problems
    }

    /// How many writes were applied under claims.
    public var writeCount: Int { writes.reduce(0) { $0 + $1.count } }

    /// How many distinct channels were claimed.
    public var channelCount: Int { Set(grants.map(\.contractTxid)).count }
}
