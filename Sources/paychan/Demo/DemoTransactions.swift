import BitcoinPrimitives
import ChannelManager

/// The transactions of a demo run, each with the outputs its inputs spend.
enum DemoTransactions {
    /// Contract, refund and settlement, in that order. What each input spends comes from the
    /// chain's record of the transaction when it has one, else from the wallet's outputs and
    /// the contract's (the refund is never broadcast; a `--dir` wallet may hold coins the chain
    /// never saw).
    static func list(contract: Transaction, refund: Transaction, settlement: Transaction, stack: DemoStack)
        async throws(CommandFailure) -> [DemoReport.Entry]
    {
        var known: [OutPoint: TransactionOutput] = [:]
        if let outputs = try? await stack.clientStore.walletOutputs(unspentOnly: false) {
            for output in outputs {
                known[output.outpoint] = TransactionOutput(value: output.value, scriptPubKey: output.scriptPubKey)
            }
        }
        for (index, output) in contract.outputs.enumerated() {
            known[OutPoint(txid: contract.txid, index: UInt32(index))] = output
        }
        return try [("contract", contract), ("refund", refund), ("settlement", settlement)].map {
            (name, transaction) throws(CommandFailure) in
            let recorded = stack.chain.record(transaction.txid)?.spentOutputs
            var spent: [DemoReport.Spent] = []
            for (index, input) in transaction.inputs.enumerated() {
                let fromChain = recorded.flatMap { index < $0.count ? $0[index] : nil }
                guard let output = fromChain ?? known[input.previousOutput] else {
                    throw CommandFailure("\(name) input \(index) spends an output the demo does not know")
                }
                spent.append(
                    DemoReport.Spent(scriptPubKey: output.scriptPubKey.bytes.hex, amount: output.value.satoshis))
            }
            return DemoReport.Entry(name: name, hex: transaction.serialized.hex, spent: spent)
        }
    }
}
