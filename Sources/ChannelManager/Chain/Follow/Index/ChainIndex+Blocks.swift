import BitcoinPrimitives

extension ChainIndex {
    /// Records what `block`, connected at `position`, does to the watched items (spends of
    /// watched outpoints, confirmations of watched transactions, outputs paying watched scripts,
    /// which become watched), then the cursor's move to it. Returns the updates, applied to
    /// `self` as they are made, in transaction order: an output a block pays and spends is seen
    /// spent.
    mutating func connect(_ block: Block, at position: BlockPosition) throws(StoreError) -> [ChainIndexUpdate] {
        var updates: [ChainIndexUpdate] = []
        for transaction in block.transactions {
            let txid = transaction.txid
            var found: [ChainIndexUpdate] = []
            if !transaction.isCoinbase {
                for input in transaction.inputs where outpoints[input.previousOutput] != nil {
                    let spend = ChainSpend(transaction: transaction, txid: txid, block: position)
                    found.append(.outpointSpend(input.previousOutput, spend))
                }
            }
            var paysWatchedScript = false
            for (index, output) in transaction.outputs.enumerated() where scripts.contains(output.scriptPubKey) {
                found.append(.watchOutpoint(OutPoint(txid: txid, index: UInt32(index))))
                paysWatchedScript = true
            }
            if paysWatchedScript && transactions[txid] == nil { found.append(.watchTransaction(txid, own: nil)) }
            if paysWatchedScript || transactions[txid] != nil {
                found.append(.transactionBlock(txid, position, leftChain: false))
            }
            for update in found { try apply(update) }
            updates += found
        }
        updates.append(.cursor(position))
        try apply(.cursor(position))
        return updates
    }

    /// Undoes what `block`, at the cursor `position`, did to the watched items (its spends and
    /// confirmations are forgotten; our own transactions in it are flagged to be rebroadcast),
    /// then moves the cursor to the block before it. Returns the updates, applied to `self`.
    mutating func disconnect(_ block: Block, at position: BlockPosition) throws(StoreError) -> [ChainIndexUpdate] {
        var updates: [ChainIndexUpdate] = []
        for transaction in block.transactions.reversed() {
            let txid = transaction.txid
            if let watched = transactions[txid], watched.block == position {
                updates.append(.transactionBlock(txid, nil, leftChain: watched.ownTransaction != nil))
            }
            for input in transaction.inputs {
                guard let spend = outpoints[input.previousOutput]?.spend, spend.block == position, spend.txid == txid
                else { continue }
                updates.append(.outpointSpend(input.previousOutput, nil))
            }
        }
        updates.append(.cursor(BlockPosition(height: position.height - 1, hash: block.header.previousBlockHash)))
        for update in updates { try apply(update) }
        return updates
    }
}
