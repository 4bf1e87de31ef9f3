import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import GRDB

/// Applies queued operations inside the writer's open transaction, with the rules of
/// `StoreState.apply`. Lives for one batch, on the writer connection.
///
/// Errors: a write that does not fit the stored data throws ``StoreError`` (the caller refuses
/// that ticket alone); anything GRDB throws fails the whole batch. A ticket with several writes
/// (or a spend of several outputs) runs in a savepoint so that its refusal undoes its earlier
/// writes; a single write is refused only before it changes anything, so it needs none, which
/// keeps the payment path to one statement.
struct SQLiteWriteApplier {
    private let db: Database
    /// The store's clock at the start of the batch, for `ended_at`.
    private let now: Int64
    private var statements: [Statement?] = Array(repeating: nil, count: SQLiteWriteSQL.allCases.count)
    /// Writes applied so far (refused tickets excluded).
    private(set) var writesApplied = 0

    init(db: Database, now: UInt64) {
        self.db = db
        self.now = Int64(clamping: now)
    }

    /// Applies one ticket's operation. Returns `.applied` or `.refused`; throws database errors.
    mutating func apply(_ operation: QueuedOperation) throws -> TicketOutcome {
        switch operation {
        case .writes(let writes):
            return try applyGroup(writes)
        case .reserveKeyIndex(let family):
            do {
                return .applied(.keyIndex(try reserveKeyIndex(family)))
            } catch let error as StoreError {
                return .refused(error)
            }
        case .prune(let cutoff):
            let bound = Int64(clamping: cutoff)
            try statement(.pruneServer).execute(arguments: [bound])
            var deleted = db.changesCount
            try statement(.pruneClient).execute(arguments: [bound])
            deleted += db.changesCount
            return .applied(.pruned(deleted))
        case .foldJournal:
            // The writer folds the journal at the start of every transaction.
            return .applied(.none)
        }
    }

    private mutating func applyGroup(_ writes: [StoreWrite]) throws -> TicketOutcome {
        guard let first = writes.first else { return .applied(.none) }
        if writes.count == 1 && !Self.mayFailHalfway(first) {
            do {
                try apply(first)
            } catch let error as StoreError {
                return .refused(error)
            }
            writesApplied += 1
            return .applied(.none)
        }
        var refusal: StoreError?
        try db.inSavepoint {
            do {
                for write in writes { try apply(write) }
                return .commit
            } catch let error as StoreError {
                refusal = error
                return .rollback
            }
        }
        if let refusal { return .refused(refusal) }
        writesApplied += writes.count
        return .applied(.none)
    }

    /// Whether a single write can be refused after changing some rows.
    private static func mayFailHalfway(_ write: StoreWrite) -> Bool {
        if case .walletOutputsSpent(let outpoints, _) = write { return outpoints.count > 1 }
        return false
    }

    private mutating func apply(_ write: StoreWrite) throws {
        switch write {
        case .server(.channel(let record)):
            try StoreState.checkTxid(record.contractTxid, of: record.contract)
            try statement(.serverUpsert).execute(arguments: [
                record.contractTxid.blob, Int64(record.version.rawValue), record.contract.serialized.blob,
                record.channelValue.satoshis, Int64(record.serverKeyIndex), record.serverPublicKey.bytes.blob,
                record.clientPublicKey.bytes.blob, record.clientOutputScript.bytes.blob,
                Int64(bitPattern: record.expiry), record.bestValueToServer.satoshis, record.bestSignature.blob,
                record.state.rawValue, record.settlement?.serialized.blob, endedAt(record.state.hasEnded),
            ])
        case .server(.payment(let txid, let value, let signature)):
            try statement(.serverPayment).execute(arguments: [value.satoshis, signature.blob, txid.blob])
            try expectOneChange(txid)
        case .server(.state(let txid, let state, let settlement)):
            let ended = endedAt(state.hasEnded)
            try statement(.serverState).execute(arguments: [
                state.rawValue, settlement?.serialized.blob, ended, ended, txid.blob,
            ])
            try expectOneChange(txid)
        case .client(.channel(let record)):
            try StoreState.checkTxid(record.contractTxid, of: record.contract)
            try statement(.clientUpsert).execute(arguments: [
                record.contractTxid.blob, Int64(record.version.rawValue), record.serverID,
                record.contract.serialized.blob, record.channelValue.satoshis, record.refund.serialized.blob,
                Int64(record.clientKeyIndex), record.clientPublicKey.bytes.blob, record.serverPublicKey.bytes.blob,
                Int64(bitPattern: record.expiry), record.valueLeft.satoshis, record.minPayment.satoshis,
                record.state.rawValue, record.settlement?.serialized.blob, endedAt(record.state.hasEnded),
            ])
        case .client(.payment(let txid, let valueLeft)):
            try statement(.clientPayment).execute(arguments: [valueLeft.satoshis, txid.blob])
            try expectOneChange(txid)
        case .client(.state(let txid, let state, let settlement)):
            let ended = endedAt(state.hasEnded)
            try statement(.clientState).execute(arguments: [
                state.rawValue, settlement?.serialized.blob, ended, ended, txid.blob,
            ])
            try expectOneChange(txid)
        case .walletOutputAdded(let output):
            try statement(.walletAdd).execute(arguments: [
                output.outpoint.txid.blob, Int64(output.outpoint.index), output.value.satoshis,
                output.scriptPubKey.bytes.blob, Int64(output.keyFamily.rawValue), Int64(output.keyIndex),
                output.spentBy?.blob, output.confirmedHeight.map { Int64($0) }, output.spendHeight.map { Int64($0) },
                output.spendLearntFromChain, output.isCoinbase,
            ])
        case .walletOutputConfirmed(let outpoint, let height):
            try statement(.walletConfirm).execute(arguments: [
                height.map { Int64($0) }, outpoint.txid.blob, Int64(outpoint.index),
            ])
        case .walletSpendSeen(let outpoint, let spendingTxid, let height):
            try statement(.walletSpendSeen).execute(arguments: [
                spendingTxid.blob, spendingTxid.blob, height.map { Int64($0) }, outpoint.txid.blob,
                Int64(outpoint.index),
            ])
        case .walletSpendUnseen(let outpoint):
            try statement(.walletSpendUnseen).execute(arguments: [outpoint.txid.blob, Int64(outpoint.index)])
        case .walletOutputRemoved(let outpoint):
            try statement(.walletRemove).execute(arguments: [outpoint.txid.blob, Int64(outpoint.index)])
        case .walletOutputsSpent(let outpoints, let spendingTxid):
            let spend = try statement(.walletSpend)
            for outpoint in outpoints {
                try spend.execute(arguments: [spendingTxid.blob, outpoint.txid.blob, Int64(outpoint.index)])
                guard db.changesCount == 1 else { throw StoreState.missingOutput(outpoint) }
            }
        case .walletSpendAbandoned(let spendingTxid):
            try statement(.walletAbandon).execute(arguments: [spendingTxid.blob])
            // The abandoned transaction's own outputs (its change) will never exist.
            try statement(.walletDropOutputsOf).execute(arguments: [spendingTxid.blob])
        case .chainIndex(let update):
            try apply(update)
        case .claimHeld, .claimOpened:
            break  // One process writes an SQLite store: it holds every claim (SingleNodeClaims).
        }
    }

    /// Applies a chain index update by ``ChainIndex/apply(_:)``'s rules: checks first, and an
    /// update of an item not watched changes no row.
    private mutating func apply(_ update: ChainIndexUpdate) throws {
        switch update {
        case .cursor(let position):
            try ChainIndex.checkHeight(position)
            try statement(.chainCursor).execute(arguments: [Int64(position.height), position.hash.blob])
        case .watchOutpoint(let outpoint):
            try statement(.chainWatchOutpoint).execute(arguments: [outpoint.txid.blob, Int64(outpoint.index)])
        case .watchTransaction(let txid, let own):
            if let own { try ChainIndex.checkOwn(own, txid) }
            try statement(.chainWatchTransaction).execute(arguments: [txid.blob, own?.serialized.blob])
        case .watchScript(let script):
            try statement(.chainWatchScript).execute(arguments: [script.bytes.blob])
        case .outpointSpend(let outpoint, let spend):
            if let spend { try ChainIndex.checkHeight(spend.block) }
            try statement(.chainOutpointSpend).execute(arguments: [
                spend?.transaction.serialized.blob, spend.map { Int64($0.block.height) }, spend?.block.hash.blob,
                outpoint.txid.blob, Int64(outpoint.index),
            ])
            guard db.changesCount == 1 else { throw ChainIndex.notWatched("outpoint \(outpoint)") }
        case .transactionBlock(let txid, let block, let leftChain):
            if let block { try ChainIndex.checkHeight(block) }
            try statement(.chainTransactionBlock).execute(arguments: [
                block.map { Int64($0.height) }, block?.hash.blob, leftChain, txid.blob,
            ])
            guard db.changesCount == 1 else { throw ChainIndex.notWatched("transaction \(txid.displayHex)") }
        }
    }

    private mutating func reserveKeyIndex(_ family: KeyFamily) throws -> UInt32 {
        let family64 = Int64(family.rawValue)
        let stored = try DatabaseValue.fetchOne(statement(.keyIndexRead), arguments: [family64])
        let index: UInt32
        switch stored?.storage {
        case nil, .null?:
            index = 0
        case .int64(let value)?:
            guard let value = UInt32(exactly: value) else {
                throw StoreError(.corrupt, "key_indexes row \(family): next_index \(value) is out of range")
            }
            index = value
        default:
            throw StoreError(.corrupt, "key_indexes row \(family): next_index is not an integer")
        }
        guard index < ChildNumberLimit.hardenedCount else { throw StoreState.keyFamilyExhausted(family) }
        try statement(.keyIndexWrite).execute(arguments: [family64, Int64(index) + 1])
        return index
    }

    private func expectOneChange(_ txid: Hash256) throws {
        guard db.changesCount == 1 else { throw StoreState.missing(txid) }
    }

    private func endedAt(_ ended: Bool) -> Int64? { ended ? now : nil }

    private mutating func statement(_ which: SQLiteWriteSQL) throws -> Statement {
        if let statement = statements[which.rawValue] { return statement }
        let statement = try db.cachedStatement(sql: which.sql)
        statements[which.rawValue] = statement
        return statement
    }
}

extension [UInt8] {
    /// The bytes as an SQLite BLOB value.
    var blob: Data { Data(self) }
}

extension Hash256 {
    /// The hash, internal byte order, as an SQLite BLOB value.
    var blob: Data { Data(internalBytes) }
}
