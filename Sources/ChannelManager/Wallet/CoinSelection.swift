import BitcoinPrimitives

/// Which wallet outputs fund a payment, and what is left as change: largest first.
///
/// Sizes are measured on the transaction itself, built with placeholder witnesses at least as
/// long as the real ones (73 bytes for a signature of at most 72, and a 33-byte key per input),
/// so the fee is never below the requested rate and at most a few bytes' worth above it.
struct CoinSelection {
    /// The outputs to spend, in input order.
    let inputs: [WalletOutput]
    /// The change to pay back to the wallet; `nil` when it would be dust (it goes to the fee).
    let change: Amount?
    /// What the transaction pays in fees.
    let fee: Amount

    /// The weight one P2WPKH input adds: 41 base bytes, and the witness (item count, a
    /// 73-byte signature and a 33-byte key with their lengths).
    static let inputWeight = 41 * 4 + 1 + 1 + 73 + 1 + 33
    /// A stand-in for the change script (any P2WPKH script has the same size).
    static let placeholderChangeScript = Script(bytes: [0x00, 20] + [UInt8](repeating: 0, count: 20))

    /// Outputs worth more than the fee to spend them at `feeRate`; the others would only
    /// lower the total.
    static func economical(_ outputs: [WalletOutput], feeRate: FeeRate) -> [WalletOutput] {
        let inputFee = (try? feeRate.fee(forWeight: inputWeight)) ?? .maxMoney
        return outputs.filter { $0.value > inputFee }
    }

    /// Picks `candidates` largest first until they pay `output` and the fee at `feeRate`.
    /// - Throws: `.insufficientFunds` with the candidates' total and what paying with all of
    ///   them would need.
    static func select(from candidates: [WalletOutput], paying output: TransactionOutput, feeRate: FeeRate)
        throws(FundingError) -> CoinSelection
    {
        let ordered = candidates.sorted { $0.value != $1.value ? $0.value > $1.value : StoreOrdering.wallet($0, $1) }
        var chosen: [WalletOutput] = []
        var total = Amount.zero
        for candidate in ordered {
            guard let sum = try? total.adding(candidate.value) else { break }
            chosen.append(candidate)
            total = sum
            let feeWithoutChange = fee(inputs: chosen, outputs: [output], feeRate: feeRate)
            guard let needed = try? output.value.adding(feeWithoutChange), total >= needed else { continue }
            let changeScript = placeholderChangeScript
            let feeWithChange = fee(
                inputs: chosen, outputs: [output, TransactionOutput(value: .zero, scriptPubKey: changeScript)],
                feeRate: feeRate)
            if let neededWithChange = try? output.value.adding(feeWithChange),
                let change = try? total.subtracting(neededWithChange),
                !TransactionOutput(value: change, scriptPubKey: changeScript).isDust()
            {
                return CoinSelection(inputs: chosen, change: change, fee: feeWithChange)
            }
            // No change worth keeping: whatever is left over goes to the fee.
            return CoinSelection(inputs: chosen, change: nil, fee: (try? total.subtracting(output.value)) ?? .zero)
        }
        let allFee = fee(inputs: ordered, outputs: [output], feeRate: feeRate, minimumInputs: 1)
        throw FundingError(
            .insufficientFunds(available: total, needed: (try? output.value.adding(allFee)) ?? .maxMoney),
            "the wallet holds \(total) spendable, paying \(output.value) needs \(output.value) + \(allFee) fee")
    }

    /// The fee at `feeRate` for a transaction spending `inputs` (at least `minimumInputs`)
    /// to `outputs`, measured with placeholder witnesses.
    static func fee(
        inputs: [WalletOutput], outputs: [TransactionOutput], feeRate: FeeRate, minimumInputs: Int = 0
    ) -> Amount {
        let count = max(inputs.count, minimumInputs)
        let placeholder = TransactionInput(
            previousOutput: OutPoint(txid: .zero, index: 0),
            witness: [[UInt8](repeating: 0, count: 73), [UInt8](repeating: 0, count: 33)])
        let transaction = Transaction(
            version: 2, inputs: Array(repeating: placeholder, count: count), outputs: outputs, lockTime: 0)
        return (try? feeRate.fee(forVirtualSize: transaction.virtualSize)) ?? .maxMoney
    }
}
