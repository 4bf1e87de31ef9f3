import BitcoinPrimitives
import Foundation
import Testing

/// The payment hot path: a SINGLE|ANYONECANPAY legacy sighash of a 1-input, 1-output
/// payment transaction over the channel's redeem script, computed again and again.
@Suite struct SighashHotPathTests {
    @Test func repeatedPaymentSighashIsStableAndCheap() throws {
        let fixture = try VectorFiles.object("bitcoinj/v2-open-pay-close.json")
        guard let transactions = fixture["transactions"] as? [String: Any],
            let payments = transactions["payments"] as? [[String: Any]], let payment = payments.first,
            let txHex = payment["unsigned_payment_tx"] as? String, let scriptHex = payment["signed_script"] as? String,
            let expected = payment["sighash"] as? String
        else { throw VectorFormatError("no payment in v2-open-pay-close.json") }
        var transaction = try Transaction(hex: txHex)
        let script = Script(bytes: try [UInt8](testHex: scriptHex))
        let base = transaction.outputs[0].value.satoshis
        let iterations = 20_000
        let start = Date()
        var last = Hash256.zero
        for i in 0..<iterations {
            // Each payment lowers the client's change: the template changes in one field.
            transaction.outputs[0].value = try Amount(satoshis: base - Int64(i % 1000))
            last = try transaction.legacySignatureHash(inputIndex: 0, scriptCode: script, type: .singleAnyoneCanPay)
        }
        let elapsed = Date().timeIntervalSince(start)
        print(
            "legacy SINGLE|ANYONECANPAY sighash: \(String(format: "%.2f", elapsed / Double(iterations) * 1e6)) µs "
                + "per payment (debug build, \(iterations) iterations)")
        transaction.outputs[0].value = try Amount(satoshis: base)
        let sighash = try transaction.legacySignatureHash(inputIndex: 0, scriptCode: script, type: .singleAnyoneCanPay)
        #expect(sighash.internalBytes.hex == expected)
        #expect(last != .zero)
    }
}
