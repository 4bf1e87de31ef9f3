import BitcoinPrimitives

extension MemoryChainState {
    /// Mines one block holding every mempool transaction that is final for it and whose
    /// mempool parents are in it too (in arrival order); the others stay in the mempool.
    ///
    /// The block's height is the tip's plus one, its timestamp ``nextBlockTimestamp(now:)``;
    /// lock times are judged as for acceptance (against the median time past of the blocks
    /// before it, or the new block's timestamp under ``MemoryChain/LockTimeRule/clock``).
    mutating func mineBlock(now: UInt64) -> MemoryChain.Block {
        let height = tipHeight + 1
        let timestamp = nextBlockTimestamp(now: now)
        let reference: UInt64
        switch configuration.lockTimeRule {
        case .medianTimePast: reference = medianTimePast
        case .clock: reference = timestamp
        }
        var included: [Hash256] = []
        var includedSet: Set<Hash256> = []
        var waiting = mempool
        // Repeat until stable: a parent that arrived after its child (possible with unknown
        // inputs) goes in on the pass before the child.
        var progress = true
        while progress {
            progress = false
            var stillWaiting: [Hash256] = []
            for txid in waiting {
                guard let record = records[txid],
                    Self.isFinal(record.transaction, height: height, time: reference),
                    record.transaction.inputs.allSatisfy({ parentIsSettled($0.previousOutput.txid, includedSet) })
                else {
                    stillWaiting.append(txid)
                    continue
                }
                included.append(txid)
                includedSet.insert(txid)
                progress = true
            }
            waiting = stillWaiting
        }
        mempool = waiting
        for txid in included { records[txid]?.state = .confirmed(height: height) }
        let block = sealedBlock(
            height: height, timestamp: timestamp, transactions: included.compactMap { records[$0]?.transaction },
            txids: included)
        append(block)
        return block
    }

    /// Whether a parent lets its child into the next block: mined, already in it, or unknown.
    private func parentIsSettled(_ txid: Hash256, _ included: Set<Hash256>) -> Bool {
        if included.contains(txid) { return true }
        guard let parent = liveRecord(txid) else { return true }
        return parent.blockHeight != nil
    }

    /// Checks outputs a coinbase is to pay: at least one, totalling at most 21e6 BTC.
    static func checkFunding(_ outputs: [TransactionOutput]) throws(ChainError) {
        guard !outputs.isEmpty else { throw ChainError(.rejected, "a funding needs at least one output") }
        do { _ = try Amount.sum(outputs.map(\.value)) } catch {
            throw ChainError(.rejected, "funding total: \(error)")
        }
    }

    /// Mines a block holding only a new coinbase paying `outputs` (checked by
    /// ``checkFunding(_:)``); the mempool is left alone.
    mutating func mineCoinbase(paying outputs: [TransactionOutput], now: UInt64) -> Transaction {
        coinbaseCounter += 1
        let height = tipHeight + 1
        // BIP34-style: the height first, then a counter so that every coinbase is unique.
        var scriptSig = ScriptBuilder()
        scriptSig.push(number: Int64(height))
        scriptSig.push(withUnsafeBytes(of: coinbaseCounter.littleEndian, Array.init))
        let coinbase = Transaction(
            version: 2,
            inputs: [TransactionInput(previousOutput: .null, scriptSig: scriptSig.script)],
            outputs: outputs, lockTime: 0)
        let txid = coinbase.txid
        let timestamp = nextBlockTimestamp(now: now)
        if records[txid] == nil { acceptanceOrder.append(txid) }
        records[txid] = MemoryChain.Record(
            transaction: coinbase, txid: txid, spentOutputs: [nil], fee: nil, acceptedAt: now,
            state: .confirmed(height: height))
        append(sealedBlock(height: height, timestamp: timestamp, transactions: [coinbase], txids: [txid]))
        return coinbase
    }
}
