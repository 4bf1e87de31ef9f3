import BitcoinPrimitives

extension InMemoryChannelStore {
    /// The claims of one node of a cluster sharing this store. Leases are judged by the store's
    /// clock, so that tests move them with a ``ManualClock``.
    public func claims(nodeID: String, leaseSeconds: UInt64) -> InMemoryChannelClaims {
        InMemoryChannelClaims(store: self, nodeID: nodeID, leaseSeconds: leaseSeconds)
    }

    /// Every claim granted in this store and the writes applied under each.
    public var claimAudit: ClaimAudit { state.withLock { $0.claims.audit } }

    /// The node holding `contractTxid`'s claim and its token, if its lease has not lapsed.
    public func claimHolder(of contractTxid: Hash256) -> ChannelClaim? {
        let now = clock.now()
        return state.withLock { locked in
            guard let lease = locked.claims.leases[contractTxid], now < lease.expiresAt else { return nil }
            return ChannelClaim(contractTxid: contractTxid, nodeID: lease.nodeID, token: lease.token)
        }
    }

    fileprivate func withClaims<T>(_ body: (inout ClaimTable, UInt64) throws(ClaimError) -> T) throws(ClaimError) -> T {
        let now = clock.now()
        return try state.withLock { locked throws(ClaimError) -> T in
            if let failure = locked.failure { throw ClaimError.unavailable(failure.error.message) }
            return try body(&locked.claims, now)
        }
    }
}

/// One node's claims on the channels of an ``InMemoryChannelStore`` shared by several server
/// managers (a cluster in one process, for tests): the rules of ``ChannelClaims`` enforced for
/// real, leases by the store's clock. A store that failed refuses every claim.
public struct InMemoryChannelClaims: ChannelClaims {
    let store: InMemoryChannelStore
    public let nodeID: String
    public let leaseSeconds: UInt64
    public var fencesWrites: Bool { true }

    public func reserveToken() async throws(ClaimError) -> UInt64 {
        try store.withClaims { table, _ in table.reserveToken() }
    }

    public func claim(_ contractTxid: Hash256) async throws(ClaimError) -> ChannelClaim {
        try store.withClaims { table, now throws(ClaimError) in
            try table.claim(contractTxid, nodeID: nodeID, leaseSeconds: leaseSeconds, now: now)
        }
    }

    public func renew(_ claims: [ChannelClaim]) async throws(ClaimError) -> Set<ChannelClaim> {
        try store.withClaims { table, now in table.renew(claims, leaseSeconds: leaseSeconds, now: now) }
    }

    public func release(_ claim: ChannelClaim) async throws(ClaimError) {
        try store.withClaims { table, _ in table.release(claim) }
    }
}
