import BitcoinPrimitives

/// Which wallet outputs fund a payment, and what is left as change: largest first.
///
/// Sizes are measured on the transaction itself, built with placeholder signatures at least as
/// long as the real ones (73 bytes for a signature of at most 72, and a 33-byte key per input,
/// in the witness of a P2WPKH input or the scriptSig of a P2PKH one), so the fee is never below
/// the requested rate and at most a few bytes' worth above it.
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
    /// The weight one P2PKH input adds: 41 base bytes and a 108-byte scriptSig (its length, a
    /// 73-byte signature and a 33-byte key with their pushes), all base data; plus the empty
    /// witness it needs beside segwit inputs.
    static let legacyInputWeight = (41 + 1 + 73 + 1 + 33) * 4 + 1
    /// A stand-in for the change script (any P2WPKH script has the same size).
    static let placeholderChangeScript = Script(bytes: [0x00, 20] + [UInt8](repeating: 0, count: 20))

    /// The weight spending `output` adds.
    static func inputWeight(of output: WalletOutput) -> Int {
        if case .p2pkh = output.scriptPubKey.template { return legacyInputWeight }
        return inputWeight
    }

    /// Outputs worth more than the fee to spend them at `feeRate`; the others would only
    /// lower the total.
    static func economical(_ outputs: [WalletOutput], feeRate: FeeRate) -> [WalletOutput] {
        outputs.filter { $0.value > ((try? feeRate.fee(forWeight: inputWeight(of: $0))) ?? .maxMoney) }
    }

    /// Picks `candidates` largest first until they pay `output` and the fee at `feeRate`.
    /// - Throws: `.insufficientFunds` with the candidates' total and what paying with all of
    ///   them would need.
    static func select(from candidates: [WalletOutput], paying output: TransactionOutput, feeRate: FeeRate)
        throws(FundingError) -> CoinSelection
    {
        var chosen: [WalletOutput] = []
        var total = Amount.zero
        for candidate in LargestFirst(candidates) {
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
        let allFee = fee(inputs: candidates, outputs: [output], feeRate: feeRate, minimumInputs: 1)
        throw FundingError(
            .insufficientFunds(available: total, needed: (try? output.value.adding(allFee)) ?? .maxMoney),
            "the wallet holds \(total) spendable, paying \(output.value) needs \(output.value) + \(allFee) fee")
    }

    /// The fee at `feeRate` for a transaction spending `inputs` (at least `minimumInputs`, the
    /// missing ones counted as P2WPKH) to `outputs`, measured with placeholder signatures.
    static func fee(
        inputs: [WalletOutput], outputs: [TransactionOutput], feeRate: FeeRate, minimumInputs: Int = 0
    ) -> Amount {
        let signature = [UInt8](repeating: 0, count: 73)
        let key = [UInt8](repeating: 0, count: 33)
        var placeholders = inputs.map { input in
            if case .p2pkh = input.scriptPubKey.template {
                var builder = ScriptBuilder()
                builder.push(signature)
                builder.push(key)
                return TransactionInput(previousOutput: OutPoint(txid: .zero, index: 0), scriptSig: builder.script)
            }
            return TransactionInput(previousOutput: OutPoint(txid: .zero, index: 0), witness: [signature, key])
        }
        let segwit = TransactionInput(previousOutput: OutPoint(txid: .zero, index: 0), witness: [signature, key])
        placeholders += Array(repeating: segwit, count: max(minimumInputs - inputs.count, 0))
        let transaction = Transaction(version: 2, inputs: placeholders, outputs: outputs, lockTime: 0)
        return (try? feeRate.fee(forVirtualSize: transaction.virtualSize)) ?? .maxMoney
    }
}

/// Wallet outputs largest first (ties by outpoint), without sorting all of them when the first
/// few suffice, as they almost always do: the first picks are linear scans for the largest
/// left; past a handful, the rest is sorted once.
struct LargestFirst: Sequence, IteratorProtocol {
    /// Picks made by scanning before the rest is sorted.
    static let scannedPicks = 8

    private var remaining: [WalletOutput]
    private var sortedRest: ArraySlice<WalletOutput>?
    private var picks = 0

    init(_ outputs: [WalletOutput]) { remaining = outputs }

    /// Whether `a` comes before `b`: larger value first, then by outpoint.
    static func precedes(_ a: WalletOutput, _ b: WalletOutput) -> Bool {
        a.value != b.value ? a.value > b.value : StoreOrdering.wallet(a, b)
    }

    mutating func next() -> WalletOutput? {
        if var rest = sortedRest {
            defer { sortedRest = rest }
            return rest.popFirst()
        }
        guard !remaining.isEmpty else { return nil }
        if picks >= Self.scannedPicks {
            var rest = remaining.sorted(by: Self.precedes)[...]
            remaining = []
            let first = rest.popFirst()
            sortedRest = rest
            return first
        }
        picks += 1
        var best = 0
        for index in remaining.indices.dropFirst() where Self.precedes(remaining[index], remaining[best]) {
            best = index
        }
        return remaining.swapRemoveAt(best)
    }
}

extension Array {
    /// Removes the element at `index` by moving the last one into its place (order is not kept).
    fileprivate mutating func swapRemoveAt(_ index: Int) -> Element {
        swapAt(index, count - 1)
        return removeLast()
    }
}
