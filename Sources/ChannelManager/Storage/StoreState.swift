import BitcoinPrimitives
import ChannelStateMachine

/// The whole content of a store as plain values, with the rules for applying writes. The
/// in-memory store is this behind a lock; the SQLite store applies the same rules in SQL (see
/// `SQLiteWriteApplier`), and the conformance tests hold both to them.
///
/// The rules:
/// - `.channel(record)` inserts or replaces a whole record; a record whose `contractTxid` is not
///   the txid of its `contract` is refused (`.inconsistent`).
/// - `.payment` and `.state` change one field or two of a stored record; a missing record is
///   `.inconsistent`.
/// - A channel "ends" when it reaches an ended state (server: settled or failed; client: settled
///   or refunded). The first time it does, the store notes when (its clock); leaving an ended
///   state forgets it. ``prune(endedBefore:)`` deletes channels that ended before a cutoff.
/// - Adding a wallet output that is already stored keeps the stored one; marking a missing
///   output spent is `.inconsistent`; the chain's writes on a missing output
///   (`walletOutputConfirmed`, `walletSpendSeen`, `walletSpendUnseen`, `walletOutputRemoved`)
///   do nothing, so that they never refuse a chain follower's enqueue.
/// - `.chainIndex` writes follow ``ChainIndex/apply(_:)``.
struct StoreState: Sendable {
    var serverChannels: [Hash256: ServerChannelRecord] = [:]
    var clientChannels: [Hash256: ClientChannelRecord] = [:]
    /// When each ended server channel ended (UNIX seconds), for pruning.
    var serverEndedAt: [Hash256: UInt64] = [:]
    /// When each ended client channel ended (UNIX seconds), for pruning.
    var clientEndedAt: [Hash256: UInt64] = [:]
    var walletOutputs: [OutPoint: WalletOutput] = [:]
    var nextKeyIndex: [KeyFamily: UInt32] = [:]
    var chainIndex = ChainIndex()

    /// Applies one write; throws `.inconsistent` when it refers to a record that is missing.
    mutating func apply(_ write: StoreWrite, now: UInt64) throws(StoreError) {
        switch write {
        case .server(.channel(let record)):
            try Self.checkTxid(record.contractTxid, of: record.contract)
            serverChannels[record.contractTxid] = record
            Self.noteEnded(&serverEndedAt, record.contractTxid, ended: record.state.hasEnded, now: now)
        case .server(.payment(let txid, let value, let signature)):
            guard var record = serverChannels[txid] else { throw Self.missing(txid) }
            record.bestValueToServer = value
            record.bestSignature = signature
            serverChannels[txid] = record
        case .server(.state(let txid, let state, let settlement)):
            guard var record = serverChannels[txid] else { throw Self.missing(txid) }
            record.state = state
            if let settlement { record.settlement = settlement }
            serverChannels[txid] = record
            Self.noteEnded(&serverEndedAt, txid, ended: state.hasEnded, now: now)
        case .client(.channel(let record)):
            try Self.checkTxid(record.contractTxid, of: record.contract)
            clientChannels[record.contractTxid] = record
            Self.noteEnded(&clientEndedAt, record.contractTxid, ended: record.state.hasEnded, now: now)
        case .client(.payment(let txid, let valueLeft)):
            guard var record = clientChannels[txid] else { throw Self.missing(txid) }
            record.valueLeft = valueLeft
            clientChannels[txid] = record
        case .client(.state(let txid, let state, let settlement)):
            guard var record = clientChannels[txid] else { throw Self.missing(txid) }
            record.state = state
            if let settlement { record.settlement = settlement }
            clientChannels[txid] = record
            Self.noteEnded(&clientEndedAt, txid, ended: state.hasEnded, now: now)
        case .walletOutputAdded(let output):
            if walletOutputs[output.outpoint] == nil { walletOutputs[output.outpoint] = output }
        case .walletOutputsSpent(let outpoints, let txid):
            for outpoint in outpoints {
                guard var output = walletOutputs[outpoint] else { throw Self.missingOutput(outpoint) }
                output.spentBy = txid
                walletOutputs[outpoint] = output
            }
        case .walletSpendAbandoned(let txid):
            for (outpoint, output) in walletOutputs where output.spentBy == txid {
                walletOutputs[outpoint]?.spentBy = nil
            }
            // The abandoned transaction's own outputs (its change) will never exist.
            walletOutputs = walletOutputs.filter { $0.key.txid != txid }
        case .claimHeld, .claimOpened:
            break  // The in-memory store checks claims before (ClaimTable); the SQLite store has one writer.
        case .chainIndex(let update):
            try chainIndex.apply(update)
        case .walletOutputConfirmed(let outpoint, let height):
            walletOutputs[outpoint]?.confirmedHeight = height
        case .walletSpendSeen(let outpoint, let spendingTxid, let height):
            guard var output = walletOutputs[outpoint] else { break }
            if output.spentBy != spendingTxid { output.spendLearntFromChain = true }
            output.spentBy = spendingTxid
            output.spendHeight = height
            walletOutputs[outpoint] = output
        case .walletSpendUnseen(let outpoint):
            guard var output = walletOutputs[outpoint] else { break }
            if output.spendLearntFromChain { output.spentBy = nil }
            output.spendLearntFromChain = false
            output.spendHeight = nil
            walletOutputs[outpoint] = output
        case .walletOutputRemoved(let outpoint):
            walletOutputs[outpoint] = nil
        }
    }

    mutating func reserveKeyIndex(_ family: KeyFamily) throws(StoreError) -> UInt32 {
        let index = nextKeyIndex[family] ?? 0
        guard index < ChildNumberLimit.hardenedCount else { throw Self.keyFamilyExhausted(family) }
        nextKeyIndex[family] = index + 1
        return index
    }

    /// Deletes the channels (of either role) that ended before `cutoff`; returns how many records.
    mutating func prune(endedBefore cutoff: UInt64) -> Int {
        let doomedServer = serverEndedAt.filter { $0.value < cutoff }.map(\.key)
        for txid in doomedServer {
            serverChannels[txid] = nil
            serverEndedAt[txid] = nil
        }
        let doomedClient = clientEndedAt.filter { $0.value < cutoff }.map(\.key)
        for txid in doomedClient {
            clientChannels[txid] = nil
            clientEndedAt[txid] = nil
        }
        return doomedServer.count + doomedClient.count
    }

    private static func noteEnded(_ endedAt: inout [Hash256: UInt64], _ txid: Hash256, ended: Bool, now: UInt64) {
        if ended { endedAt[txid] = endedAt[txid] ?? now } else { endedAt[txid] = nil }
    }

    static func checkTxid(_ txid: Hash256, of contract: Transaction) throws(StoreError) {
        try StoreError.checkContract(txid, of: contract)
    }

    static func missing(_ txid: Hash256) -> StoreError { .missingChannel(txid) }

    static func missingOutput(_ outpoint: OutPoint) -> StoreError { .missingWalletOutput(outpoint) }

    static func keyFamilyExhausted(_ family: KeyFamily) -> StoreError { .keyFamilyExhausted(family) }
}

/// How long a stored server channel is kept.
extension ServerChannelRecord.State {
    /// Whether a channel in this state has ended (settled or failed): it can be pruned.
    public var hasEnded: Bool { self == .settled || self == .failed }
}

/// How long a stored client channel is kept.
extension ClientChannelRecord.State {
    /// Whether a channel in this state has ended (settled or refunded): it can be pruned.
    public var hasEnded: Bool { self == .settled || self == .refunded }
}

/// BIP32 hardened indexes run below 2³¹.
enum ChildNumberLimit {
    static let hardenedCount: UInt32 = KeyFamily.indexLimit
}

extension KeyFamily {
    /// How many indexes a family has (BIP32 hardened indexes run below 2³¹): a reservation
    /// that would reach it is refused.
    public static let indexLimit: UInt32 = 0x8000_0000
}
