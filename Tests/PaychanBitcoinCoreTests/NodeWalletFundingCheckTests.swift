import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import Testing

/// The checks on a contract the node's wallet signed, on the PSBTs a real Bitcoin Core wallet
/// answered in the recorded `node-wallet-funding` scenario, as answered and tampered with.
@Suite struct NodeWalletFundingCheckTests {
    /// The first signed PSBT of the recording (the v2 contract's), and the fee rate asked.
    private func recorded() throws -> (psbt: PSBT, feeRate: FeeRate) {
        let recording = try Recording.load(NodeWalletFundingScenario.name)
        var feeRate: FeeRate?
        for exchange in recording.exchanges {
            guard case .object = exchange.request else { continue }  // a batch
            let method = try exchange.request.member("method").string()
            if method == "walletcreatefundedpsbt" {
                let rate = try exchange.request.member("params").array()[3].member("fee_rate").string()
                let thousandths = try #require(Int64(rate.replacingOccurrences(of: ".", with: "")))
                feeRate = try FeeRate(satoshisPerKilovirtualByte: thousandths)
            }
            if method == "walletprocesspsbt", let feeRate {
                let answer = try JSONValue.parse(Array(exchange.response.utf8))
                let base64 = try answer.member("result").member("psbt").string()
                let bytes = try #require(Data(base64Encoded: base64))
                return (try PSBT(bytes: [UInt8](bytes)), feeRate)
            }
        }
        throw ReplayProblem("no walletprocesspsbt in the recording")
    }

    private func check(_ psbt: PSBT, feeRate: FeeRate) throws -> Result<Transaction, FundingError> {
        let contract = try NodeWalletFundingScenario.contracts().v2
        return Result { () throws(FundingError) in
            try NodeWalletFundingCheck(contract: contract, feeRate: feeRate).check(psbt)
        }
    }

    private func expectRefused(_ psbt: PSBT, _ feeRate: FeeRate, saying words: String) throws {
        switch try check(psbt, feeRate: feeRate) {
        case .success: Issue.record("a tampered contract was accepted")
        case .failure(let error):
            #expect(error.kind == .refused)
            #expect(error.message.contains(words), "\(error.message)")
        }
    }

    /// `psbt` with its unsigned transaction changed by `change`, its maps kept.
    private func retransact(_ psbt: PSBT, _ change: (inout Transaction) -> Void) throws -> PSBT {
        var transaction = psbt.unsignedTransaction
        change(&transaction)
        var changed = try PSBT(unsignedTransaction: transaction)
        changed.global = psbt.global
        changed.inputs = psbt.inputs
        changed.outputs = psbt.outputs
        return changed
    }

    @Test func theNodesAnswerIsAccepted() throws {
        let (psbt, feeRate) = try recorded()
        let transaction = try check(psbt, feeRate: feeRate).get()
        #expect(transaction.txid == psbt.unsignedTransaction.txid)
        #expect(transaction.outputs[0] == (try NodeWalletFundingScenario.contracts().v2))
    }

    @Test func outputZeroWithAnotherValueIsRefused() throws {
        let (psbt, feeRate) = try recorded()
        let tampered = try retransact(psbt) { $0.outputs[0].value = (try? Amount(satoshis: 99_999_999)) ?? .zero }
        try expectRefused(tampered, feeRate, saying: "output 0 is not the contract")
    }

    @Test func outputZeroToAnotherScriptIsRefused() throws {
        let (psbt, feeRate) = try recorded()
        let tampered = try retransact(psbt) { $0.outputs.swapAt(0, 1) }
        try expectRefused(tampered, feeRate, saying: "output 0 is not the contract")
    }

    @Test func aNonSegwitInputIsRefused() throws {
        let (psbt, feeRate) = try recorded()
        var tampered = psbt
        let utxo = try #require(psbt.inputs[0].witnessUTXO)
        let p2pkh = try Script.p2pkh(hash160: Array(repeating: 3, count: 20))
        tampered.inputs[0].map.set(PSBTRecord(type: PSBTKeyType.inputWitnessUTXO, value: encoded(utxo.value, p2pkh)))
        try expectRefused(tampered, feeRate, saying: "does not spend a native segwit output")
        var bare = psbt
        bare.inputs[0] = PSBTInputMap(
            PSBTMap(psbt.inputs[0].map.records.filter { $0.type != PSBTKeyType.inputWitnessUTXO }))
        try expectRefused(bare, feeRate, saying: "has no witness UTXO")
    }

    @Test func aWrongSpentValueOrABadSignatureIsRefused() throws {
        let (psbt, feeRate) = try recorded()
        let utxo = try #require(psbt.inputs[0].witnessUTXO)
        var wrongValue = psbt
        let more = try utxo.value.adding(try Amount(satoshis: 1))
        wrongValue.inputs[0].map.set(
            PSBTRecord(type: PSBTKeyType.inputWitnessUTXO, value: encoded(more, utxo.scriptPubKey)))
        // Core gives the whole previous transaction too: it disagrees with the value.
        #expect(psbt.inputs[0].nonWitnessUTXO != nil)
        try expectRefused(wrongValue, feeRate, saying: "disagrees with its witness UTXO")
        // Without it, the signature (BIP143 signs the value) does not verify.
        wrongValue.inputs[0] = PSBTInputMap(
            PSBTMap(wrongValue.inputs[0].map.records.filter { $0.type != PSBTKeyType.inputNonWitnessUTXO }))
        try expectRefused(wrongValue, feeRate, saying: "signature does not verify")

        var badSignature = psbt
        var witness = try #require(psbt.inputs[0].finalScriptWitness)
        witness[0][10] ^= 1
        var stack = ByteWriter()
        stack.writeCompactSize(UInt64(witness.count))
        for item in witness { stack.writeVarBytes(item) }
        badSignature.inputs[0].map.set(PSBTRecord(type: PSBTKeyType.inputFinalScriptWitness, value: stack.bytes))
        try expectRefused(badSignature, feeRate, saying: "signature does not verify")
    }

    @Test func anUnfinalizedInputOrAnAbsurdFeeIsRefused() throws {
        let (psbt, feeRate) = try recorded()
        var unfinalized = psbt
        unfinalized.inputs[0] = PSBTInputMap(
            PSBTMap(psbt.inputs[0].map.records.filter { $0.type != PSBTKeyType.inputFinalScriptWitness }))
        try expectRefused(unfinalized, feeRate, saying: "not finalized")
        // The change cut to almost nothing: the node would pay nearly all of it as fee.
        let greedy = try retransact(psbt) { $0.outputs[1].value = (try? Amount(satoshis: 1_000)) ?? .zero }
        try expectRefused(greedy, feeRate, saying: "fee")
    }

    private func encoded(_ value: Amount, _ script: Script) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeInt64LE(value.satoshis)
        writer.writeVarBytes(script.bytes)
        return writer.bytes
    }
}
