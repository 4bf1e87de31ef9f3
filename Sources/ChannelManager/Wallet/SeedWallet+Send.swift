import BitcoinPrimitives

/// How much a ``SeedWallet/send(to:amount:feeRate:broadcaster:)`` pays.
public enum SendAmount: Sendable, Hashable {
    /// Exactly this much to the destination; change comes back to the wallet.
    case exactly(Amount)
    /// Everything the wallet may spend now, less the fee; no change.
    case all
}

/// A transaction a wallet signed, recorded and broadcast.
public struct SentTransaction: Sendable, Hashable {
    /// The signed transaction.
    public let transaction: Transaction
    /// What it pays in fees.
    public let fee: Amount
    /// The change it pays back to the wallet, if any.
    public let change: Amount?
}

extension SeedWallet {
    /// Pays `amount` to `script`, broadcast through `broadcaster`, from every kind of output the
    /// wallet spends (P2WPKH, and P2PKH
    /// of channel keys) that may be spent now, at `feeRate` (or the chain's estimate for the
    /// fee target), change above the dust limit to a new change key.
    ///
    /// The transaction is signed and every input verified with `ScriptVerifier`; its inputs
    /// are durably recorded as spent (and its change as the wallet's) before it is broadcast.
    /// A refusal by the chain releases them again (`.broadcastRefused`); when the chain cannot
    /// be reached (`.unavailable`) they stay spent, since the transaction may have got through:
    /// ``releaseContracts(notAmong:)`` releases them later if the chain never learns of it.
    /// - Throws: `.refused` for a dust, zero or non-standard destination; `.insufficientFunds`.
    public func send(
        to script: Script, amount: SendAmount, feeRate: FeeRate? = nil, broadcaster: any TransactionBroadcaster
    ) async throws(FundingError) -> SentTransaction {
        guard !script.isEmpty, script.template != .nonStandard else {
            throw FundingError(.refused, "the destination script is not a standard one")
        }
        await gate.enter()
        defer { gate.leave() }
        let rate: FeeRate
        if let feeRate {
            rate = feeRate
        } else {
            do { rate = try await chain.feeRate(targetBlocks: feeTarget) } catch {
                throw FundingError(.unavailable, "no fee estimate: \(error)")
            }
        }
        let candidates = { () async throws(FundingError) -> [WalletOutput] in
            try await self.sortedOutputs().spendable.map(\.output)
        }
        let inputs: [WalletOutput]
        let output: TransactionOutput
        let change: Amount?
        switch amount {
        case .exactly(let value):
            output = TransactionOutput(value: value, scriptPubKey: script)
            guard value > .zero, !output.isDust() else {
                throw FundingError(.refused, "\(value) to this script is dust or zero")
            }
            let selection = try await select(paying: output, feeRate: rate, candidates: candidates)
            (inputs, change) = (selection.inputs, selection.change)
        case .all:
            (inputs, output) = try await notingImmature { () async throws(FundingError) in
                try await sweep(to: script, feeRate: rate, candidates: candidates)
            }
            change = nil
        }
        let transaction = try await signAndRecord(inputs: inputs, outputs: [output], change: change, lockTime: 0)
        do throws(ChainError) {
            try await broadcaster.broadcast(transaction)
        } catch {
            if error.kind != .unavailable {
                try? await write([.walletSpendAbandoned(spendingTxid: transaction.txid)])
                throw FundingError(
                    .broadcastRefused(error.kind), "the chain refused \(transaction.txid.displayHex): \(error)")
            }
            throw FundingError(.unavailable, "cannot broadcast \(transaction.txid.displayHex): \(error)")
        }
        let spent = Self.sum(inputs)
        let fee = (try? spent.subtracting(try transaction.totalOutputValue())) ?? .zero
        return SentTransaction(transaction: transaction, fee: fee, change: change)
    }

    /// Every economical candidate into one output to `script`, less the fee.
    private func sweep(
        to script: Script, feeRate: FeeRate, candidates: () async throws(FundingError) -> [WalletOutput]
    ) async throws(FundingError) -> ([WalletOutput], TransactionOutput) {
        while true {
            let inputs = CoinSelection.economical(try await candidates(), feeRate: feeRate)
                .sorted(by: LargestFirst.precedes)
            let total = Self.sum(inputs)
            let fee = CoinSelection.fee(
                inputs: inputs, outputs: [TransactionOutput(value: .zero, scriptPubKey: script)], feeRate: feeRate,
                minimumInputs: 1)
            guard let value = try? total.subtracting(fee), value > .zero,
                !TransactionOutput(value: value, scriptPubKey: script).isDust()
            else {
                throw FundingError(
                    .insufficientFunds(available: total, needed: (try? fee.adding(Amount(exactly: 1) ?? .zero)) ?? fee),
                    "the wallet holds \(total) spendable, not enough for the fee \(fee) and an output above dust")
            }
            let spentElsewhere = try await spentOnChain(inputs)
            guard !spentElsewhere.isEmpty else {
                return (inputs, TransactionOutput(value: value, scriptPubKey: script))
            }
            try await write(spentElsewhere.map { .walletOutputsSpent([$0.0], spendingTxid: $0.1) })
        }
    }
}
