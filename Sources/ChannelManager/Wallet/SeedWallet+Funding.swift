import BitcoinPrimitives

// MARK: ContractFunder

extension SeedWallet {
    public func fundContract(paying output: TransactionOutput) async throws(FundingError) -> Transaction {
        guard output.value > .zero, !output.isDust() else {
            throw FundingError(.refused, "the contract output of \(output.value) is dust or zero")
        }
        await gate.enter()
        defer { gate.leave() }
        let feeRate: FeeRate
        do { feeRate = try await chain.feeRate(targetBlocks: feeTarget) } catch {
            throw FundingError(.unavailable, "no fee estimate: \(error)")
        }
        // Only P2WPKH outputs fund a contract: its txid must not be malleable.
        let selection = try await select(paying: output, feeRate: feeRate) { () async throws(FundingError) in
            try await sortedOutputs().spendable.filter { $0.kind == .p2wpkh }.map(\.output)
        }
        return try await signAndRecord(
            inputs: selection.inputs, outputs: [output], change: selection.change, lockTime: 0)
    }

    /// Makes the contract's inputs spendable again and forgets its change, unless the chain
    /// already knows the contract (then its inputs really are spent). Failures are ignored:
    /// the next funding notices outputs the chain says are spent.
    public func contractAbandoned(_ contract: Transaction) async {
        await gate.enter()
        defer { gate.leave() }
        let txid = contract.txid
        if let status = try? await chain.status(of: txid), status != .unknown { return }
        try? await write([.walletSpendAbandoned(spendingTxid: txid)])
    }

    /// Abandons, as ``contractAbandoned(_:)`` does, every transaction spending wallet outputs
    /// that is not among `stored` and that the chain does not know: a contract funded by a
    /// process that died before storing its channel, or a send that never reached the chain.
    /// Without this its inputs, and its change, would stay unspendable for good. Spends the
    /// wallet saw on the chain are left alone. Failures are ignored (the transaction stays as it
    /// is).
    public func releaseContracts(notAmong stored: Set<Hash256>) async {
        await gate.enter()
        defer { gate.leave() }
        guard let outputs = try? await storedOutputs(unspentOnly: false) else { return }
        var seen = stored
        for output in outputs where !output.spendLearntFromChain && output.spendHeight == nil {
            guard let txid = output.spentBy, seen.insert(txid).inserted,
                let status = try? await chain.status(of: txid), status == .unknown
            else { continue }
            try? await write([.walletSpendAbandoned(spendingTxid: txid)])
        }
    }

    /// Builds the transaction spending `inputs` to `outputs` (and `change` to a new change key,
    /// as output `outputs.count`), signs and verifies it, and records durably its inputs as
    /// spent and its change as the wallet's. Call with the gate held.
    func signAndRecord(inputs: [WalletOutput], outputs: [TransactionOutput], change: Amount?, lockTime: UInt32)
        async throws(FundingError) -> Transaction
    {
        var allOutputs = outputs
        var changeOutput: WalletOutput?
        if let change {
            let (script, reference, _) = try await newKey(.walletChange)
            allOutputs.append(TransactionOutput(value: change, scriptPubKey: script))
            // The outpoint is set once the transaction is signed.
            changeOutput = WalletOutput(
                outpoint: OutPoint(txid: .zero, index: UInt32(outputs.count)), value: change, scriptPubKey: script,
                keyFamily: reference.family, keyIndex: reference.index)
        }
        let transaction = try WalletSigner.sign(
            Transaction(
                version: 2, inputs: inputs.map { TransactionInput(previousOutput: $0.outpoint) }, outputs: allOutputs,
                lockTime: lockTime),
            spending: inputs, keychain: keychain)
        let txid = transaction.txid
        var writes: [StoreWrite] = [.walletOutputsSpent(inputs.map(\.outpoint), spendingTxid: txid)]
        if var changeOutput {
            changeOutput.outpoint = OutPoint(txid: txid, index: UInt32(outputs.count))
            writes.append(.walletOutputAdded(changeOutput))
        }
        try await write(writes)
        return transaction
    }
}
