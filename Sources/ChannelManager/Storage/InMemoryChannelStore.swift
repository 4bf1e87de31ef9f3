import BitcoinPrimitives
import ChannelStateMachine
import Synchronization

/// A ``ChannelStore`` that keeps everything in memory: for tests and throwaway runs. Every
/// write is "durable" as soon as it is enqueued. It applies the same consistency and failure
/// rules as the SQLite store (see ``ChannelStore``), and can be told to fail writes to exercise
/// error paths. Several server managers may share one as the nodes of a cluster: each claims
/// channels through ``claims(nodeID:leaseSeconds:)``, leases judged by the store's clock.
public final class InMemoryChannelStore: ChannelStore {
    struct Locked {
        var content = StoreState()
        var claims = ClaimTable()
        var sequence: UInt64 = 0
        /// Enqueues refused alone because they did not fit the stored data.
        var rejected: [UInt64: StoreError] = [:]
        /// Set once a write failed to be stored: that ticket and every later one fail.
        var failure: (error: StoreError, sequence: UInt64)?
        /// Fail the write with this sequence number (tests).
        var failAtSequence: UInt64?
        var writesApplied = 0

        func checkNotFailed() throws(StoreError) {
            if let failure { throw StoreError.failed(after: failure.error) }
        }
    }

    let state = Mutex(Locked())
    let clock: any ManagerClock

    /// An empty store; `clock` stamps when channels end (for pruning).
    public init(clock: any ManagerClock = SystemClock()) { self.clock = clock }

    /// Makes the `n`-th enqueue from now (1 = the next) fail as an IO failure would, failing the
    /// store with it.
    public func failWrite(afterEnqueues n: UInt64) {
        state.withLock { $0.failAtSequence = $0.sequence + n }
    }

    /// How many writes were applied.
    public var writesApplied: Int { state.withLock { $0.writesApplied } }

    public func enqueue(_ writes: [StoreWrite]) -> StoreTicket {
        let now = clock.now()
        return state.withLock { locked in
            locked.sequence += 1
            let ticket = StoreTicket(sequence: locked.sequence)
            guard locked.failure == nil else { return ticket }
            if locked.failAtSequence == locked.sequence {
                locked.failure = (StoreError(.io, "injected write failure"), locked.sequence)
                return ticket
            }
            var copy = locked.content
            var claims = locked.claims
            do throws(StoreError) {
                for write in writes {
                    switch write {
                    case .claimHeld(let claim): try claims.checkHeld(claim, now: now)
                    case .claimOpened(let claim, let lease):
                        try claims.claimOpened(claim, leaseSeconds: lease, now: now)
                    default: try copy.apply(write, now: now)
                    }
                }
                locked.content = copy
                locked.claims = claims
                locked.writesApplied += writes.count
            } catch {
                locked.rejected[locked.sequence] = error
            }
            return ticket
        }
    }

    public func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError) {
        let error = state.withLock { locked -> StoreError? in
            guard ticket.sequence <= locked.sequence else { return .unknownTicket(ticket) }
            if let failure = locked.failure, ticket.sequence >= failure.sequence {
                return ticket.sequence == failure.sequence ? failure.error : .failed(after: failure.error)
            }
            return locked.rejected[ticket.sequence]
        }
        if let error { throw error }
    }

    public func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        try state.withLock { locked throws(StoreError) -> UInt32 in
            try locked.checkNotFailed()
            return try locked.content.reserveKeyIndex(family)
        }
    }

    public func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        state.withLock { $0.content.nextKeyIndex[family] ?? 0 }
    }

    /// The server channel with this contract txid, if stored.
    public func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord? {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.serverChannels[contractTxid]
        }
    }

    public func serverChannels(in states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?)
        async throws(StoreError) -> [ServerChannelRecord]
    {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.serverChannels.values.filter { record in
                states.contains(record.state) && expiringAfter.map { record.expiry > $0 } ?? true
            }
        }.sorted(by: StoreOrdering.server)
    }

    /// The client channel with this contract txid, if stored.
    public func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord? {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.clientChannels[contractTxid]
        }
    }

    public func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.clientChannels.values.filter {
                states.contains($0.state) && (serverID == nil || $0.serverID == serverID)
            }
        }.sorted(by: StoreOrdering.client)
    }

    public func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput] {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.walletOutputs.values.filter { !unspentOnly || $0.spentBy == nil }
        }.sorted(by: StoreOrdering.wallet)
    }

    public func chainIndex() async throws(StoreError) -> ChainIndex {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.chainIndex
        }
    }

    public func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int {
        try state.withLock { locked throws(StoreError) in
            try locked.checkNotFailed()
            return locked.content.prune(endedBefore: cutoff)
        }
    }
}
