import BitcoinPrimitives
import ChannelStateMachine
import Synchronization

/// A ``ChannelStore`` that keeps everything in memory: for tests and throwaway runs. Every
/// write is "durable" as soon as it is enqueued. It applies the same consistency rules as the
/// SQLite store, and can be told to fail writes to exercise error paths.
public final class InMemoryChannelStore: ChannelStore {
    private struct Locked {
        var content = StoreState()
        var sequence: UInt64 = 0
        /// Set once a write failed: everything after it fails too, as in the SQLite store.
        var failure: StoreError?
        /// Fail the write with this sequence number (tests).
        var failAtSequence: UInt64?
        var writesApplied = 0
    }

    private let state = Mutex(Locked())
    private let clock: any ManagerClock

    /// An empty store; `clock` stamps when channels end (for pruning).
    public init(clock: any ManagerClock = SystemClock()) { self.clock = clock }

    /// Makes the `n`-th enqueue from now (1 = the next) fail, and every later one with it.
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
                locked.failure = StoreError(.io, "injected write failure")
                return ticket
            }
            var copy = locked.content
            do throws(StoreError) {
                for write in writes { try copy.apply(write, now: now) }
                locked.content = copy
                locked.writesApplied += writes.count
            } catch {
                locked.failure = error
            }
            return ticket
        }
    }

    public func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError) {
        if let failure = state.withLock({ $0.failure }) {
            throw failure.kind == .failed ? failure : StoreError(.failed, "an earlier write failed: \(failure.message)")
        }
    }

    public func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        try state.withLock { locked throws(StoreError) -> UInt32 in
            if let failure = locked.failure { throw StoreError(.failed, failure.message) }
            return try locked.content.reserveKeyIndex(family)
        }
    }

    public func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        state.withLock { $0.content.nextKeyIndex[family] ?? 0 }
    }

    public func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord? {
        state.withLock { $0.content.serverChannels[contractTxid] }
    }

    public func serverChannels(in states: Set<ServerChannelRecord.State>) async throws(StoreError)
        -> [ServerChannelRecord]
    {
        state.withLock { $0.content.serverChannels.values.filter { states.contains($0.state) } }
            .sorted { $0.expiry < $1.expiry }
    }

    public func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord? {
        state.withLock { $0.content.clientChannels[contractTxid] }
    }

    public func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    {
        state.withLock { locked in
            locked.content.clientChannels.values.filter {
                states.contains($0.state) && (serverID == nil || $0.serverID == serverID)
            }
        }.sorted { $0.expiry < $1.expiry }
    }

    public func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput] {
        state.withLock { locked in
            locked.content.walletOutputs.values.filter { !unspentOnly || $0.spentBy == nil }
        }.sorted { $0.outpoint.precedesInDisplayOrder($1.outpoint) }
    }

    public func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int {
        state.withLock { $0.content.prune(endedBefore: cutoff) }
    }
}
