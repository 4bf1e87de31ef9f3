import BitcoinPrimitives

/// Everything a ``MemoryChain`` holds, as plain values; the chain keeps it behind a lock.
///
/// The UTXO set is not stored separately: an output exists while the transaction creating it
/// is live (in a block or the mempool), and it is unspent while no live transaction spends
/// it (``spenders``). That keeps replacement and mining free of bookkeeping.
struct MemoryChainState: Sendable {
    /// Lock times below this are block heights, others UNIX seconds.
    static let lockTimeThreshold: UInt32 = 500_000_000
    /// How many blocks the median time past looks at (BIP113).
    static let medianTimeSpan = 11

    var configuration: MemoryChain.Configuration
    /// Every transaction ever accepted, live or replaced.
    var records: [Hash256: MemoryChain.Record] = [:]
    /// Txids in the order they were first accepted.
    var acceptanceOrder: [Hash256] = []
    /// Mempool txids in arrival order.
    var mempool: [Hash256] = []
    /// The live transaction spending each outpoint (known or not).
    var spenders: [OutPoint: Hash256] = [:]
    var blocks: [MemoryChain.Block]
    /// The height of each block, by hash.
    var blockHeights: [Hash256: Int] = [:]
    /// Makes every funding coinbase unique.
    var coinbaseCounter: UInt64 = 0

    init(configuration: MemoryChain.Configuration, genesisTime: UInt64) {
        self.configuration = configuration
        blocks = []
        let genesis = sealedBlock(height: 0, timestamp: genesisTime, transactions: [], txids: [])
        blocks = [genesis]
        blockHeights = [genesis.hash: 0]
    }

    var tipHeight: Int { blocks.count - 1 }

    /// Appends a block sealed by ``sealedBlock(height:timestamp:transactions:txids:)``.
    mutating func append(_ block: MemoryChain.Block) {
        blocks.append(block)
        blockHeights[block.hash] = block.height
    }

    /// BIP113 median time past of the tip: the median of the last 11 block timestamps.
    var medianTimePast: UInt64 {
        let times = blocks.suffix(Self.medianTimeSpan).map(\.timestamp).sorted()
        return times[times.count / 2]
    }

    /// What a time-based lock time of a transaction for the next block is judged against.
    func lockTimeReference(now: UInt64) -> UInt64 {
        switch configuration.lockTimeRule {
        case .medianTimePast: return medianTimePast
        case .clock: return now
        }
    }

    /// A new block's timestamp: the clock, but always after the median time past.
    func nextBlockTimestamp(now: UInt64) -> UInt64 { max(now, medianTimePast + 1) }

    /// Bitcoin Core's `IsFinalTx` for a block at `height` judged against `time`.
    static func isFinal(_ transaction: Transaction, height: Int, time: UInt64) -> Bool {
        let lockTime = transaction.lockTime
        if lockTime == 0 { return true }
        let reference = lockTime < lockTimeThreshold ? UInt64(max(height, 0)) : time
        if UInt64(lockTime) < reference { return true }
        return transaction.inputs.allSatisfy { $0.sequence == TransactionInput.finalSequence }
    }

    /// The live record with `txid`.
    func liveRecord(_ txid: Hash256) -> MemoryChain.Record? {
        guard let record = records[txid], record.isLive else { return nil }
        return record
    }

    /// The output at `outpoint` and the live record creating it, spent or not.
    func output(at outpoint: OutPoint) -> (TransactionOutput, MemoryChain.Record)? {
        guard let record = liveRecord(outpoint.txid),
            outpoint.index < record.transaction.outputs.count
        else { return nil }
        return (record.transaction.outputs[Int(outpoint.index)], record)
    }

    /// The unspent output at `outpoint`.
    func coin(at outpoint: OutPoint) -> MemoryChain.Coin? {
        guard spenders[outpoint] == nil, let (output, record) = output(at: outpoint) else { return nil }
        return MemoryChain.Coin(output: output, height: record.blockHeight, isCoinbase: record.isCoinbase)
    }

    /// The total of unspent outputs (mined or in the mempool) paying `script`.
    func balance(of script: Script) -> Amount {
        var total = Amount.zero
        for record in records.values where record.isLive {
            for (index, output) in record.transaction.outputs.enumerated() where output.scriptPubKey == script {
                guard spenders[OutPoint(txid: record.txid, index: UInt32(index))] == nil else { continue }
                total = (try? total.adding(output.value)) ?? .maxMoney
            }
        }
        return total
    }

    func status(of txid: Hash256) -> TransactionStatus {
        guard let record = liveRecord(txid) else { return .unknown }
        guard let height = record.blockHeight else { return .inMempool }
        return .confirmed(confirmations: UInt32(clamping: tipHeight - height + 1))
    }

    /// Adds an accepted transaction to the mempool.
    mutating func insert(
        _ transaction: Transaction, txid: Hash256, spent: [TransactionOutput?], fee: Amount?, now: UInt64
    ) {
        // A replaced transaction accepted again keeps its place in the history.
        if records[txid] == nil { acceptanceOrder.append(txid) }
        records[txid] = MemoryChain.Record(
            transaction: transaction, txid: txid, spentOutputs: spent, fee: fee, acceptedAt: now, state: .inMempool)
        mempool.append(txid)
        for input in transaction.inputs { spenders[input.previousOutput] = txid }
    }
}
