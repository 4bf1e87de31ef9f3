import BitcoinPrimitives

/// Builds, signs and verifies the server's settlement of a channel: the client's latest
/// payment completed with the server's `SIGHASH_ALL` signature, client change first (left out
/// when zero), then the server's share minus the fee.
struct SettlementBuilder {
    let contract: ChannelContract
    let contractOutpoint: OutPoint
    let contractOutput: TransactionOutput
    let clientOutputScript: Script
    let payoutScript: Script

    /// The signed, verified settlement and the fee it pays. Throws `BAD_TRANSACTION` when the
    /// server's share cannot pay the fee and leave a non-dust output.
    func build(
        bestValueToServer: Amount, clientSignature: [UInt8], serverKey: PrivateKey, feePolicy: SettlementFeePolicy
    ) throws(ChannelError) -> (transaction: Transaction, fee: Amount) {
        let channelValue = contractOutput.value
        guard let change = try? channelValue.subtracting(bestValueToServer) else {
            throw ChannelError(.other, "best payment exceeds the channel value", origin: .local)
        }
        let fee = try feeFor(
            change: change, bestValueToServer: bestValueToServer, clientSignature: clientSignature,
            serverKey: serverKey, policy: feePolicy)
        guard let fee, let serverShare = try? bestValueToServer.subtracting(fee) else {
            throw .badTransaction(
                "the server's share \(bestValueToServer) cannot pay the settlement fee \(fee.map { "\($0)" } ?? "?")")
        }
        let payout = TransactionOutput(value: serverShare, scriptPubKey: payoutScript)
        guard !payout.isDust() else {
            throw .badTransaction("after the fee of \(fee) the server's share \(serverShare) would be dust")
        }
        let tx = try signed(
            change: change, serverValue: serverShare, clientSignature: clientSignature,
            serverKey: serverKey, type: .all)
        do {
            try ScriptVerifier.verify(transaction: tx, inputIndex: 0, spentOutput: contractOutput)
        } catch {
            throw ChannelError(.other, "settlement failed verification: \(error)", origin: .local)
        }
        return (tx, fee)
    }

    private func feeFor(
        change: Amount, bestValueToServer: Amount, clientSignature: [UInt8], serverKey: PrivateKey,
        policy: SettlementFeePolicy
    ) throws(ChannelError) -> Amount? {
        switch policy {
        case .feeRate(let rate):
            let trial = try signed(
                change: change, serverValue: bestValueToServer, clientSignature: clientSignature,
                serverKey: serverKey, type: .all)
            // A DER signature may come out one byte longer on the final signing; count it.
            return try? rate.fee(forVirtualSize: trial.virtualSize + 1)
        case .bitcoinjCompatible(let feePerKb):
            let trial = try signed(
                change: change, serverValue: bestValueToServer, clientSignature: clientSignature,
                serverKey: serverKey, type: .noneAnyoneCanPay)
            let input = trial.inputs[0]
            let serializedInput =
                36 + ByteWriter.compactSizeLength(UInt64(input.scriptSig.count))
                + input.scriptSig.count + 4
            let size = trial.totalSize + 40 + ByteWriter.compactSizeLength(UInt64(serializedInput))
            let (product, overflow) = feePerKb.satoshis.multipliedReportingOverflow(by: Int64(size))
            guard !overflow else { return nil }
            return try? Amount(satoshis: product / 1000)
        }
    }

    private func signed(
        change: Amount, serverValue: Amount, clientSignature: [UInt8], serverKey: PrivateKey, type: SighashType
    ) throws(ChannelError) -> Transaction {
        var outputs: [TransactionOutput] = []
        if change != .zero { outputs.append(TransactionOutput(value: change, scriptPubKey: clientOutputScript)) }
        outputs.append(TransactionOutput(value: serverValue, scriptPubKey: payoutScript))
        var tx = Transaction(
            version: 1, inputs: [TransactionInput(previousOutput: contractOutpoint)],
            outputs: outputs, lockTime: 0)
        let sighash = try tx.inputZeroSighash(contract.signedScript, type)
        let serverSignature = serverKey.sign(sighash: sighash, type: type)
        tx.inputs[0].scriptSig = contract.paymentScriptSig(client: clientSignature, server: serverSignature.encoded)
        return tx
    }
}
