import BitcoinPrimitives
import ChannelStateMachine

/// The whole content of a store as plain values, with the rules for applying writes. The
/// in-memory store is this behind a lock; the SQLite store checks writes with the same rules.
struct StoreState: Sendable {
    var serverChannels: [Hash256: ServerChannelRecord] = [:]
    var clientChannels: [Hash256: ClientChannelRecord] = [:]
    /// When each ended channel ended (UNIX seconds), for pruning.
    var endedAt: [Hash256: UInt64] = [:]
    var walletOutputs: [OutPoint: WalletOutput] = [:]
    var nextKeyIndex: [KeyFamily: UInt32] = [:]

    /// Applies one write; throws `.inconsistent` when it refers to a record that is missing.
    mutating func apply(_ write: StoreWrite, now: UInt64) throws(StoreError) {
        switch write {
        case .server(.channel(let record)):
            serverChannels[record.contractTxid] = record
            noteEnded(record.contractTxid, ended: record.state == .settled || record.state == .failed, now: now)
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
            noteEnded(txid, ended: state == .settled || state == .failed, now: now)
        case .client(.channel(let record)):
            clientChannels[record.contractTxid] = record
            noteEnded(record.contractTxid, ended: record.state == .settled || record.state == .refunded, now: now)
        case .client(.payment(let txid, let valueLeft)):
            guard var record = clientChannels[txid] else { throw Self.missing(txid) }
            record.valueLeft = valueLeft
            clientChannels[txid] = record
        case .client(.state(let txid, let state, let settlement)):
            guard var record = clientChannels[txid] else { throw Self.missing(txid) }
            record.state = state
            if let settlement { record.settlement = settlement }
            clientChannels[txid] = record
            noteEnded(txid, ended: state == .settled || state == .refunded, now: now)
        case .walletOutputAdded(let output):
            if walletOutputs[output.outpoint] == nil { walletOutputs[output.outpoint] = output }
        case .walletOutputsSpent(let outpoints, let txid):
            for outpoint in outpoints {
                guard var output = walletOutputs[outpoint] else {
                    throw StoreError(.inconsistent, "wallet output \(outpoint) is not stored")
                }
                output.spentBy = txid
                walletOutputs[outpoint] = output
            }
        case .walletSpendAbandoned(let txid):
            for (outpoint, output) in walletOutputs where output.spentBy == txid {
                walletOutputs[outpoint]?.spentBy = nil
            }
            // The abandoned transaction's own outputs (its change) will never exist.
            walletOutputs = walletOutputs.filter { $0.key.txid != txid }
        }
    }

    mutating func reserveKeyIndex(_ family: KeyFamily) throws(StoreError) -> UInt32 {
        let index = nextKeyIndex[family] ?? 0
        guard index < ChildNumberLimit.hardenedCount else {
            throw StoreError(.inconsistent, "key family \(family) has used every index")
        }
        nextKeyIndex[family] = index + 1
        return index
    }

    mutating func prune(endedBefore cutoff: UInt64) -> Int {
        let doomed = endedAt.filter { $0.value < cutoff }.map(\.key)
        for txid in doomed {
            serverChannels[txid] = nil
            clientChannels[txid] = nil
            endedAt[txid] = nil
        }
        return doomed.count
    }

    private mutating func noteEnded(_ txid: Hash256, ended: Bool, now: UInt64) {
        if ended { endedAt[txid] = endedAt[txid] ?? now } else { endedAt[txid] = nil }
    }

    private static func missing(_ txid: Hash256) -> StoreError {
        StoreError(.inconsistent, "no stored channel with contract \(txid.displayHex)")
    }
}

/// BIP32 hardened indexes run below 2³¹.
enum ChildNumberLimit {
    static let hardenedCount: UInt32 = 0x8000_0000
}
