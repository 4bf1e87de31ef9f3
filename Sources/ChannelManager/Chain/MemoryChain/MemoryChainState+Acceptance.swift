import BitcoinPrimitives

extension MemoryChainState {
    /// Bitcoin Core's standard weight limit (`MAX_STANDARD_TX_WEIGHT`).
    static let maximumStandardWeight = 400_000

    /// Accepts `transaction` into the mempool, or says why not. Nothing changes when it throws.
    ///
    /// The checks, in order: already known (accepted again, silently); sanity; finality for
    /// the next block; every input resolved (unknown → `.rejected`, unless unknown inputs are
    /// accepted); coinbase maturity; conflicts with mined spends (`.doubleSpend`); values;
    /// scripts; fee and dust policy; replacement of conflicting mempool transactions.
    mutating func accept(_ transaction: Transaction, now: UInt64) throws(ChainError) {
        let txid = transaction.txid
        if liveRecord(txid) != nil { return }
        let outputTotal = try Self.checkSanity(transaction)
        guard
            Self.isFinal(transaction, height: tipHeight + 1, time: lockTimeReference(now: now))
        else {
            throw ChainError(
                .notFinal,
                "lock time \(transaction.lockTime) not reached (next height \(tipHeight + 1), "
                    + "lock time reference \(lockTimeReference(now: now)))")
        }

        var spent: [TransactionOutput?] = []
        var conflicts: [Hash256] = []
        for (index, input) in transaction.inputs.enumerated() {
            spent.append(try resolve(input.previousOutput, inputIndex: index))
            if let spender = spenders[input.previousOutput] {
                if liveRecord(spender)?.blockHeight != nil {
                    throw ChainError(
                        .doubleSpend, "input \(index) spends \(input.previousOutput), spent in a block by \(spender)")
                }
                if !conflicts.contains(spender) { conflicts.append(spender) }
            }
        }

        let fee = try Self.fee(spent: spent, outputTotal: outputTotal)
        try Self.verifyScripts(transaction, spent: spent)
        try checkPolicy(transaction, fee: fee)
        if !conflicts.isEmpty {
            let evicted = try replacementPlan(for: transaction, fee: fee, conflicts: conflicts)
            evict(evicted, replacedBy: txid)
        }
        insert(transaction, txid: txid, spent: spent, fee: fee, now: now)
    }

    /// Context-free checks (Core's `CheckTransaction` and a few policy limits). Returns the
    /// output total.
    static func checkSanity(_ transaction: Transaction) throws(ChainError) -> Amount {
        guard !transaction.inputs.isEmpty else { throw ChainError(.rejected, "no inputs") }
        guard !transaction.outputs.isEmpty else { throw ChainError(.rejected, "no outputs") }
        guard !transaction.isCoinbase else { throw ChainError(.rejected, "a coinbase cannot be broadcast") }
        var seen: Set<OutPoint> = []
        for (index, input) in transaction.inputs.enumerated() {
            guard !input.previousOutput.isNull else { throw ChainError(.rejected, "input \(index) spends null") }
            guard seen.insert(input.previousOutput).inserted else {
                throw ChainError(.rejected, "input \(index) spends \(input.previousOutput) twice")
            }
        }
        guard transaction.weight <= maximumStandardWeight else {
            throw ChainError(.rejected, "weight \(transaction.weight) above \(maximumStandardWeight)")
        }
        do { return try transaction.totalOutputValue() } catch {
            throw ChainError(.rejected, "output total: \(error)")
        }
    }

    /// The output `outpoint` names, `nil` when it is unknown and unknown inputs are accepted.
    private func resolve(_ outpoint: OutPoint, inputIndex: Int) throws(ChainError) -> TransactionOutput? {
        if let (output, parent) = output(at: outpoint) {
            if parent.isCoinbase, let height = parent.blockHeight,
                tipHeight + 1 - height < configuration.coinbaseMaturity
            {
                throw ChainError(
                    .rejected,
                    "input \(inputIndex) spends coinbase \(outpoint) mined at \(height), immature at \(tipHeight + 1)")
            }
            return output
        }
        if liveRecord(outpoint.txid) != nil {
            throw ChainError(.rejected, "input \(inputIndex) spends \(outpoint), which does not exist")
        }
        guard configuration.acceptsUnknownInputs else {
            throw ChainError(.rejected, "input \(inputIndex) spends unknown output \(outpoint)")
        }
        return nil
    }

    /// Inputs minus outputs, when every input is known; throws when the outputs are worth more.
    private static func fee(spent: [TransactionOutput?], outputTotal: Amount) throws(ChainError) -> Amount? {
        var inputTotal = Amount.zero
        for output in spent {
            guard let output else { return nil }
            do { inputTotal = try inputTotal.adding(output.value) } catch {
                throw ChainError(.rejected, "input total: \(error)")
            }
        }
        do { return try inputTotal.subtracting(outputTotal) } catch {
            throw ChainError(.rejected, "outputs (\(outputTotal)) are worth more than the inputs (\(inputTotal))")
        }
    }

    /// Runs every input whose spent output is known through ``ScriptVerifier`` (standard flags).
    private static func verifyScripts(_ transaction: Transaction, spent: [TransactionOutput?]) throws(ChainError) {
        let verifier = ScriptVerifier(flags: .standard)
        for (index, output) in spent.enumerated() {
            guard let output else { continue }
            do {
                try verifier.verify(transaction: transaction, inputIndex: index, spentOutput: output)
            } catch {
                throw ChainError(.rejected, "input \(index) does not satisfy \(output.scriptPubKey): \(error)")
            }
        }
    }

    /// Minimum relay fee (when the fee is known) and dust outputs.
    private func checkPolicy(_ transaction: Transaction, fee: Amount?) throws(ChainError) {
        if let fee {
            let required =
                (try? configuration.minimumRelayFee.fee(forVirtualSize: transaction.virtualSize)) ?? .maxMoney
            guard fee >= required else {
                throw ChainError(
                    .rejected, "fee \(fee) below the minimum relay fee \(required) for \(transaction.virtualSize) vB")
            }
        }
        if let dustRelayFee = configuration.dustRelayFee {
            for (index, output) in transaction.outputs.enumerated() where output.isDust(dustRelayFee: dustRelayFee) {
                throw ChainError(
                    .rejected,
                    "output \(index) of \(output.value) is dust (threshold \(output.dustThreshold(dustRelayFee: dustRelayFee)))"
                )
            }
        }
    }
}
