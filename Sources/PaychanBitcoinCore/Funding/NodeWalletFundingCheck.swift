import BitcoinPrimitives
import ChannelManager
import Foundation

/// What Paychan requires of a contract the node's wallet signed before it is used: checked on
/// the PSBT `walletprocesspsbt` answered, parsed by ``BitcoinPrimitives/PSBT``.
///
/// - Output 0 is exactly the contract (value and script).
/// - Every input carries its spent output (`witness_utxo`), a native segwit output (P2WPKH,
///   P2WSH or P2TR; a full previous transaction given too must agree with it), and is
///   finalized with a witness and an empty scriptSig: the txid cannot be malleated.
/// - Every segwit v0 input verifies with ``BitcoinPrimitives/ScriptVerifier`` against its
///   spent output; a P2TR input (which the verifier does not run) must be a key-path spend.
/// - The fee is positive and at most ten times the requested rate (and 0.1 BTC).
public struct NodeWalletFundingCheck: Sendable {
    /// The output the contract must have at index 0.
    public let contract: TransactionOutput
    /// The fee rate the node was asked to pay.
    public let feeRate: FeeRate

    /// A check for a contract paying `contract` at `feeRate`.
    public init(contract: TransactionOutput, feeRate: FeeRate) {
        self.contract = contract
        self.feeRate = feeRate
    }

    /// Checks a base64 PSBT; the finalized transaction.
    public func check(base64: String) throws(FundingError) -> Transaction {
        guard let data = Data(base64Encoded: base64) else {
            throw FundingError(.refused, "the node's wallet answered a PSBT that is not base64")
        }
        let psbt: PSBT
        do { psbt = try PSBT(bytes: [UInt8](data)) } catch {
            throw FundingError(.refused, "the node's wallet answered a PSBT Paychan refuses: \(error)")
        }
        return try check(psbt)
    }

    /// Checks a parsed PSBT; the finalized transaction.
    public func check(_ psbt: PSBT) throws(FundingError) -> Transaction {
        let unsigned = psbt.unsignedTransaction
        guard unsigned.outputs.first == contract else {
            throw refusal("its output 0 is not the contract (\(contract.value) to \(contract.scriptPubKey.bytes.hex))")
        }
        guard !unsigned.inputs.isEmpty else { throw refusal("it has no inputs") }
        var spent: [TransactionOutput] = []
        for (index, input) in psbt.inputs.enumerated() {
            guard let utxo = input.witnessUTXO else { throw refusal("input \(index) has no witness UTXO") }
            guard let program = WitnessProgram(scriptPubKey: utxo.scriptPubKey),
                program.version == 0 || (program.version == 1 && program.program.count == 32)
            else {
                throw refusal("input \(index) does not spend a native segwit output: \(utxo.scriptPubKey.bytes.hex)")
            }
            if let previous = input.nonWitnessUTXO {
                let outpoint = unsigned.inputs[index].previousOutput
                guard previous.outputs.indices.contains(Int(outpoint.index)),
                    previous.outputs[Int(outpoint.index)] == utxo
                else { throw refusal("input \(index)'s previous transaction disagrees with its witness UTXO") }
            }
            spent.append(utxo)
        }
        let signed: Transaction
        do { signed = try psbt.finalizedTransaction() } catch { throw refusal("\(error)") }
        for (index, input) in signed.inputs.enumerated() {
            guard input.scriptSig.isEmpty, !input.witness.isEmpty else {
                throw refusal("input \(index) is not finalized with a witness alone")
            }
        }
        try checkFee(signed, spent: spent)
        for (index, input) in signed.inputs.enumerated() {
            if WitnessProgram(scriptPubKey: spent[index].scriptPubKey)?.version == 1 {
                guard input.witness.count == 1, [64, 65].contains(input.witness[0].count) else {
                    throw refusal("input \(index) is not a taproot key-path spend")
                }
                continue
            }
            do {
                try ScriptVerifier.verify(transaction: signed, inputIndex: index, spentOutput: spent[index])
            } catch {
                throw refusal("input \(index)'s signature does not verify: \(error)")
            }
        }
        return signed
    }

    private func checkFee(_ signed: Transaction, spent: [TransactionOutput]) throws(FundingError) {
        let fee: Amount
        let ceiling: Amount
        do {
            fee = try Amount.sum(spent.map(\.value)).subtracting(try signed.totalOutputValue())
            ceiling = try feeRate.fee(forVirtualSize: signed.virtualSize).multiplied(by: 10)
        } catch { throw refusal("its fee cannot be computed: \(error)") }
        guard fee > .zero, fee <= ceiling, fee.satoshis <= 10_000_000 else {
            throw refusal("its fee of \(fee) is outside (0, \(ceiling)]")
        }
    }

    private func refusal(_ reason: String) -> FundingError {
        FundingError(.refused, "Paychan refuses the contract the node's wallet signed: \(reason)")
    }
}
