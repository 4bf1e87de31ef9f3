import BitcoinPrimitives

extension MemoryChainState {
    /// The mempool transactions `transaction` would evict (its direct conflicts and all their
    /// descendants, in mempool order), or why it may not replace them (`.doubleSpend`).
    ///
    /// Full RBF as Bitcoin Core ≥ 28 (no opt-in signal needed), BIP125 rules 3, 4 and 6:
    /// - the replacement's fee rate is higher than every direct conflict's;
    /// - its absolute fee is higher than the evicted transactions' together, and the difference
    ///   pays for the replacement's own size at the incremental relay fee;
    /// - it spends no output of a transaction it evicts.
    /// Every fee involved must be known: transactions with unknown inputs are never replaced
    /// and never replace.
    func replacementPlan(for transaction: Transaction, fee: Amount?, conflicts: [Hash256]) throws(ChainError)
        -> [Hash256]
    {
        guard configuration.replaceByFee else {
            throw ChainError(.doubleSpend, "it spends outputs that \(Self.list(conflicts)) already spend")
        }
        guard let fee else {
            throw ChainError(
                .doubleSpend,
                "it conflicts with \(Self.list(conflicts)) and its fee is unknown (unknown inputs), so it cannot replace"
            )
        }
        let evicted = withDescendants(conflicts)
        let evictedSet = Set(evicted)
        if let input = transaction.inputs.first(where: { evictedSet.contains($0.previousOutput.txid) }) {
            throw ChainError(.rejected, "it spends \(input.previousOutput), an output of a transaction it replaces")
        }
        let newRate = try rate(fee: fee, virtualSize: transaction.virtualSize)
        var evictedFees = Amount.zero
        for txid in evicted {
            guard let record = records[txid], let oldFee = record.fee else {
                throw ChainError(.doubleSpend, "it conflicts with \(txid), whose fee is unknown")
            }
            evictedFees = (try? evictedFees.adding(oldFee)) ?? .maxMoney
            guard conflicts.contains(txid) else { continue }
            let oldRate = try rate(fee: oldFee, virtualSize: record.transaction.virtualSize)
            guard newRate > oldRate else {
                throw ChainError(
                    .doubleSpend, "replacing \(txid) needs a fee rate above \(oldRate), this one pays \(newRate)")
            }
        }
        let extraNeeded =
            (try? configuration.incrementalRelayFee.fee(forVirtualSize: transaction.virtualSize)) ?? .maxMoney
        guard let extra = try? fee.subtracting(evictedFees), extra > .zero, extra >= extraNeeded else {
            throw ChainError(
                .doubleSpend,
                "replacing \(Self.list(evicted)) needs a fee of at least \(evictedFees) + \(extraNeeded), "
                    + "this one pays \(fee)")
        }
        return evicted
    }

    /// `roots` and every mempool transaction spending their outputs, transitively, in mempool
    /// order.
    func withDescendants(_ roots: [Hash256]) -> [Hash256] {
        var found = Set(roots)
        var queue = roots
        while let txid = queue.popLast() {
            guard let record = records[txid] else { continue }
            for index in record.transaction.outputs.indices {
                guard let child = spenders[OutPoint(txid: txid, index: UInt32(index))] else { continue }
                if found.insert(child).inserted { queue.append(child) }
            }
        }
        return mempool.filter { found.contains($0) }
    }

    /// Removes `txids` from the mempool, frees the outputs they spent, and marks them replaced.
    mutating func evict(_ txids: [Hash256], replacedBy replacement: Hash256) {
        let doomed = Set(txids)
        mempool.removeAll { doomed.contains($0) }
        for txid in txids {
            guard let record = records[txid] else { continue }
            for input in record.transaction.inputs where spenders[input.previousOutput] == txid {
                spenders[input.previousOutput] = nil
            }
            records[txid]?.state = .replaced(by: replacement)
        }
    }

    private func rate(fee: Amount, virtualSize: Int) throws(ChainError) -> FeeRate {
        do { return try FeeRate(fee: fee, virtualSize: virtualSize) } catch {
            throw ChainError(.rejected, "fee rate: \(error)")
        }
    }

    private static func list(_ txids: [Hash256]) -> String {
        txids.map(\.displayHex).joined(separator: ", ")
    }
}
