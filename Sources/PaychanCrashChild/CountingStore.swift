import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Synchronization

/// A ``ChannelStore`` in front of the SQLite store that decides when enqueued writes reach it,
/// and reports each durability point to ``CrashPoints`` before the waiter goes on (so the
/// child can stop right after a write became durable, before anything depending on it).
///
/// - **Eager** (the default): writes go to SQLite as they are enqueued, so its writer thread
///   commits them on its own timing, as in production.
/// - **Lazy** (`--lazy-store`): writes go to SQLite only when someone waits for them (or reads,
///   or reserves a key): a write nobody waited for is not on disk when the process dies. This
///   is a legitimate store (the ``ChannelStore`` contract promises durability only to those
///   who wait) and the worst case for a crash, so code that acts on a write before it is
///   durable loses it every time, instead of once in a while.
/// - ``freeze()``: from then on nothing more reaches SQLite and every wait and read blocks. The
///   tap freezes the stores before delivering the message it stops after, so that the
///   receiver's writes are enqueued but certainly not committed when the process stops.
///
/// A durability point is a ``waitUntilDurable(_:)`` returning for a ticket newer than any
/// counted before in this store (one point may cover several tickets), a key reservation, or a
/// prune.
final class CountingStore: ChannelStore {
    enum Mode: Sendable {
        case eager
        case lazy
    }

    private struct State {
        var lastSequence: UInt64 = 0
        /// Writes not yet handed to SQLite, in order.
        var pending: [(sequence: UInt64, writes: [StoreWrite])] = []
        /// SQLite's ticket for each of our tickets handed over.
        var handedOver: [UInt64: StoreTicket] = [:]
        var frozen = false
        /// The newest ticket counted as a durability point.
        var counted: UInt64 = 0
    }

    let inner: any ChannelStore
    let name: String
    let points: CrashPoints
    let mode: Mode
    private let state = Mutex(State())

    init(_ inner: any ChannelStore, name: String, points: CrashPoints, mode: Mode) {
        self.inner = inner
        self.name = name
        self.points = points
        self.mode = mode
    }

    /// Stops handing anything more to SQLite; waits and reads block from now on.
    func freeze() {
        state.withLock { $0.frozen = true }
    }

    func enqueue(_ writes: [StoreWrite]) -> StoreTicket {
        state.withLock { state in
            state.lastSequence += 1
            state.pending.append((state.lastSequence, writes))
            if mode == .eager, !state.frozen { handOver(upTo: state.lastSequence, &state) }
            return StoreTicket(sequence: state.lastSequence)
        }
    }

    func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError) {
        let handed = await handOverOrBlock { state -> StoreTicket? in
            handOver(upTo: ticket.sequence, &state)
            return state.handedOver[ticket.sequence]
        }
        guard let handed else { throw StoreError(.inconsistent, "ticket \(ticket.sequence) was not issued here") }
        try await inner.waitUntilDurable(handed)
        let isNew = state.withLock { state -> Bool in
            guard ticket.sequence > state.counted else { return false }
            state.counted = ticket.sequence
            return true
        }
        if isNew { points.durable("\(name) ticket \(ticket.sequence)") }
    }

    func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        await handOverAll()
        let index = try await inner.reserveKeyIndex(family)
        points.durable("\(name) key \(family) \(index)")
        return index
    }

    func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        await handOverAll()
        return try await inner.nextKeyIndex(family)
    }

    func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord? {
        await handOverAll()
        return try await inner.serverChannel(contractTxid: contractTxid)
    }

    func serverChannels(in states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?) async throws(StoreError)
        -> [ServerChannelRecord]
    {
        await handOverAll()
        return try await inner.serverChannels(in: states, expiringAfter: expiringAfter)
    }

    func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord? {
        await handOverAll()
        return try await inner.clientChannel(contractTxid: contractTxid)
    }

    func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    {
        await handOverAll()
        return try await inner.clientChannels(serverID: serverID, in: states)
    }

    func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput] {
        await handOverAll()
        return try await inner.walletOutputs(unspentOnly: unspentOnly)
    }

    func chainIndex() async throws(StoreError) -> ChainIndex {
        await handOverAll()
        return try await inner.chainIndex()
    }

    func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int {
        await handOverAll()
        let count = try await inner.pruneEndedChannels(endedBefore: cutoff)
        points.durable("\(name) prune")
        return count
    }

    /// Hands every pending write to SQLite (reads and reservations must come after them).
    private func handOverAll() async {
        await handOverOrBlock { state in handOver(upTo: state.lastSequence, &state) }
    }

    /// Runs `body` under the lock unless the store is frozen; frozen, waits for the end.
    private func handOverOrBlock<T: Sendable>(_ body: (inout State) -> T) async -> T {
        while true {
            let result = state.withLock { state -> T? in state.frozen ? nil : body(&state) }
            if let result { return result }
            // Frozen: the process is about to stop and be killed.
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    /// Hands pending writes up to `sequence` to SQLite, in order (under the lock, so that the
    /// order is the enqueue order).
    private func handOver(upTo sequence: UInt64, _ state: inout State) {
        var count = 0
        for (pendingSequence, writes) in state.pending {
            guard pendingSequence <= sequence else { break }
            state.handedOver[pendingSequence] = inner.enqueue(writes)
            count += 1
        }
        state.pending.removeFirst(count)
    }
}
