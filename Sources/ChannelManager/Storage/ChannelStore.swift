import BitcoinPrimitives
import ChannelStateMachine

/// A position in a store's write order. A ticket is durable once every write enqueued up to and
/// including it has been committed and synced.
public struct StoreTicket: Sendable, Hashable, Comparable {
    /// The ticket's place in the store's order of writes.
    public let sequence: UInt64
    /// The ticket at `sequence`.
    public init(sequence: UInt64) { self.sequence = sequence }
    public static func < (lhs: StoreTicket, rhs: StoreTicket) -> Bool { lhs.sequence < rhs.sequence }
}

/// Durable storage for channels (both roles), wallet outputs, key indexes and the chain
/// follower's index (``ChainIndexStore``).
///
/// Writes are enqueued without waiting (``enqueue(_:)``) and applied in enqueue order; callers
/// wait for durability with ``waitUntilDurable(_:)`` before releasing any effect that depends on
/// a write. Implementations may commit many enqueued writes in one transaction and one sync
/// (group commit). Reads see every write enqueued before them.
///
/// ## Failures
///
/// The writes of one ``enqueue(_:)`` call are applied all or none.
///
/// - A call whose writes do not fit the stored data (a payment or state for a channel that is
///   not stored, a spend of an unknown wallet output, a record whose `contractTxid` is not its
///   contract's txid) is refused alone: nothing of it is applied, waiting for its ticket throws
///   `.inconsistent`, and the calls before and after it are applied as usual.
/// - A failure to store at all (IO, a full disk, a database error) fails the ticket that met it
///   (and any committed with it) with that error, and the store with them: every later ticket,
///   read and reservation throws `.failed` until the store is opened again. Nothing of the
///   failed tickets is applied.
public protocol ChannelStore: ChainIndexStore {
    /// Enqueues writes, to be applied in order. Never blocks on IO.
    func enqueue(_ writes: [StoreWrite]) -> StoreTicket
    /// Returns once the ticket's writes (and all before them) are durable; throws if they failed
    /// (see "Failures" above). A ticket this store did not issue throws `.inconsistent`.
    func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError)

    /// Reserves the next unused key index of a family, durably: it is never returned again.
    func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32
    /// The index ``reserveKeyIndex(_:)`` would return next for `family` (0 when none was
    /// reserved): every index below it has been handed out. Reserves nothing.
    func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32

    /// Calls `body` once `ticket` is durable (or with the error waiting for it throws), unless
    /// the outcome is known at once: then it is returned and `body` is never called. Sessions
    /// release the effects that wait for a write through it. The default waits in a task; a
    /// store that knows when it commits (``SQLiteChannelStore``) calls `body` right after.
    func notifyWhenDurable(_ ticket: StoreTicket, _ body: @escaping @Sendable (Result<Void, StoreError>) -> Void)
        -> Result<Void, StoreError>?

    /// The server channel with this contract txid, if stored.
    func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord?
    /// Server channels in the given states, by expiry (then contract txid); with
    /// `expiringAfter`, only those whose expiry is later than it (filtered before any record is
    /// decoded, so that a long history of ended channels costs nothing).
    func serverChannels(in states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?) async throws(StoreError)
        -> [ServerChannelRecord]
    /// The client channel with this contract txid, if stored.
    func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord?
    /// Client channels, optionally only those with one server, in the given states, by expiry
    /// (then contract txid).
    func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    /// Wallet outputs; with `unspentOnly`, only those no signed transaction spends. By outpoint
    /// (txid in display order, then index).
    func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput]

    /// Deletes channels (both roles) that ended (settled, refunded or failed) before `cutoff`
    /// (UNIX seconds, by the store's record of when they ended). Returns how many were deleted.
    func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int
}

extension ChannelStore {
    public func notifyWhenDurable(
        _ ticket: StoreTicket, _ body: @escaping @Sendable (Result<Void, StoreError>) -> Void
    ) -> Result<Void, StoreError>? {
        Task {
            do throws(StoreError) {
                try await waitUntilDurable(ticket)
                body(.success(()))
            } catch {
                body(.failure(error))
            }
        }
        return nil
    }

    /// Server channels in the given states, by expiry (then contract txid).
    public func serverChannels(in states: Set<ServerChannelRecord.State>) async throws(StoreError)
        -> [ServerChannelRecord]
    {
        try await serverChannels(in: states, expiringAfter: nil)
    }

    /// Enqueues writes and waits until they are durable.
    public func write(_ writes: [StoreWrite]) async throws(StoreError) {
        try await waitUntilDurable(enqueue(writes))
    }
}
