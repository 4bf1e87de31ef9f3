import BitcoinPrimitives
import ChannelStateMachine

/// One durable change to a ``ChannelStore``. Writes are applied in the order they are enqueued.
public enum StoreWrite: Sendable, Hashable {
    /// A server machine's update (a new channel, a better payment, a new state).
    case server(ServerStoreUpdate)
    /// A client machine's update (a new channel, a lower balance, a new state).
    case client(ClientStoreUpdate)
    /// The wallet learnt of an output it can spend.
    case walletOutputAdded(WalletOutput)
    /// The wallet spent (or reserved for a transaction it signed) these outputs.
    case walletOutputsSpent([OutPoint], spendingTxid: Hash256)
    /// A transaction the wallet signed was abandoned: its inputs are spendable again, and the
    /// outputs it would have created (its change) are deleted.
    case walletSpendAbandoned(spendingTxid: Hash256)
    /// A change to the chain follower's index (see ``ChainIndex/apply(_:)`` for the rules).
    case chainIndex(ChainIndexUpdate)
    /// A block at `height` (nil: the output's transaction is no longer known to be mined) holds
    /// the transaction creating this wallet output. Nothing when it is not stored.
    case walletOutputConfirmed(OutPoint, height: Int?)
    /// The chain shows `spendingTxid` spending this wallet output, mined at `height` (nil: in the
    /// mempool). When the output was not already marked spent by that transaction, the spend is
    /// noted as learnt from the chain. Nothing when the output is not stored.
    case walletSpendSeen(OutPoint, spendingTxid: Hash256, height: Int?)
    /// The block holding this output's spend left the chain: a spend learnt from the chain is
    /// forgotten, one the wallet signed stays (unmined). Nothing when the output is not stored.
    case walletSpendUnseen(OutPoint)
    /// Forgets a wallet output (its transaction left the chain); nothing when it is not stored.
    case walletOutputRemoved(OutPoint)
    /// The other writes of the same ``ChannelStore/enqueue(_:)`` are applied only while `claim`
    /// is its channel's claim and its lease has not lapsed, checked inside their transaction by
    /// the store's clock; otherwise the whole enqueue is refused (``StoreError/Kind/claimLost``).
    /// Sent only when ``ChannelClaims/fencesWrites``; a store written by one node only (SQLite)
    /// holds every claim and ignores it.
    case claimHeld(ChannelClaim)
    /// Records `claim` (its token reserved by ``ChannelClaims/reserveToken()``) as the claim of
    /// a channel being opened, leased for `leaseSeconds`; refused (``StoreError/Kind/claimLost``)
    /// if the channel is claimed already. Ignored by a store written by one node only.
    case claimOpened(ChannelClaim, leaseSeconds: UInt64)
}

/// Which sequence of derived keys an index belongs to. Indexes are reserved durably and never
/// handed out twice.
public enum KeyFamily: UInt32, Sendable, Hashable, CaseIterable {
    /// Server multisig keys, one per channel offered.
    case serverChannel = 0
    /// Client multisig keys, one per channel funded.
    case clientChannel = 1
    /// Wallet receive keys.
    case walletReceive = 2
    /// Wallet change keys.
    case walletChange = 3
}
