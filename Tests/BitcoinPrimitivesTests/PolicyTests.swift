import BitcoinPrimitives
import Testing

/// Dust thresholds and fee rates, against the values Bitcoin Core gives at its defaults.
@Suite struct PolicyTests {
    func output(_ scriptHex: String, _ satoshis: Int64) throws -> TransactionOutput {
        TransactionOutput(
            value: try Amount(satoshis: satoshis), scriptPubKey: Script(bytes: try [UInt8](testHex: scriptHex)))
    }

    @Test func dustThresholdsOfStandardOutputs() throws {
        let hash20 = String(repeating: "ab", count: 20)
        let hash32 = String(repeating: "cd", count: 32)
        // Core's well-known thresholds at 3000 sat/kvB.
        let cases: [(String, Int64)] = [
            ("76a914" + hash20 + "88ac", 546),  // P2PKH: (34 + 148) × 3
            ("a914" + hash20 + "87", 540),  // P2SH: (32 + 148) × 3
            ("0014" + hash20, 294),  // P2WPKH: (31 + 67) × 3
            ("0020" + hash32, 330),  // P2WSH: (43 + 67) × 3
            ("5120" + hash32, 330),  // P2TR (a witness program too)
            ("6a0401020304", 0),  // OP_RETURN: unspendable
        ]
        for (script, threshold) in cases {
            let atThreshold = try output(script, threshold)
            #expect(atThreshold.dustThreshold().satoshis == threshold, "\(script)")
            #expect(!atThreshold.isDust())
            if threshold > 0 { #expect(try output(script, threshold - 1).isDust()) }
        }
        // The v2 channel contract output is P2SH; a bare 2-of-2 multisig is (80 + 148) × 3.
        let multisig = "5221" + String(repeating: "02", count: 33) + "21" + String(repeating: "03", count: 33) + "52ae"
        #expect(try output(multisig, 0).dustThreshold().satoshis == 684)
    }

    @Test func dustAtOtherRatesAndOversizedScripts() throws {
        let p2pkh = try output("76a914" + String(repeating: "00", count: 20) + "88ac", 0)
        #expect(p2pkh.dustThreshold(dustRelayFee: .zero) == .zero)
        // 182 vB at 1 sat/kvB: 0.182 sat, rounded up to 1.
        #expect(p2pkh.dustThreshold(dustRelayFee: try FeeRate(satoshisPerKilovirtualByte: 1)).satoshis == 1)
        #expect(p2pkh.dustThreshold(dustRelayFee: try FeeRate(satoshisPerKilovirtualByte: 1_001)).satoshis == 183)
        let huge = TransactionOutput(value: .zero, scriptPubKey: Script(bytes: [UInt8](repeating: 0x51, count: 10_001)))
        #expect(huge.dustThreshold() == .zero)
        let maxRate = try FeeRate(satoshisPerKilovirtualByte: Amount.maxMoney.satoshis)
        #expect(p2pkh.dustThreshold(dustRelayFee: maxRate).satoshis == Amount.maxMoney.satoshis / 1_000 * 182)
        // A 2,000-byte script at that rate would need more than all the bitcoin there is.
        let large = TransactionOutput(value: .zero, scriptPubKey: Script(bytes: [UInt8](repeating: 0x51, count: 2_000)))
        #expect(large.dustThreshold(dustRelayFee: maxRate) == .maxMoney)
    }

    @Test func feeRateConversionsAndChecks() throws {
        let rate = try FeeRate(satoshisPerVirtualByte: 12)
        #expect(rate.satoshisPerKilovirtualByte == 12_000)
        #expect(rate.satoshisPerVirtualByte == 12)
        #expect(rate.description == "12.000 sat/vB")
        #expect(try FeeRate(satoshisPerKilovirtualByte: 1_234).description == "1.234 sat/vB")
        #expect(try rate.fee(forVirtualSize: 141).satoshis == 1_692)
        #expect(try rate.fee(forWeight: 561).satoshis == 12 * 141)
        #expect(try FeeRate(satoshisPerKilovirtualByte: 1_500).fee(forVirtualSize: 3).satoshis == 5)
        #expect(try FeeRate.zero.fee(forVirtualSize: 1_000) == .zero)
        #expect(try FeeRate(fee: try Amount(satoshis: Int64(1_692)), virtualSize: 141) == rate)
        #expect(try FeeRate(fee: try Amount(satoshis: Int64(100)), virtualSize: 0) == .zero)

        #expect(throws: FeeError.negativeRate(-1)) { try FeeRate(satoshisPerKilovirtualByte: -1) }
        #expect(throws: FeeError.negativeRate(-1)) { try FeeRate(satoshisPerVirtualByte: -1) }
        #expect(throws: FeeError.rateTooLarge) { try FeeRate(satoshisPerVirtualByte: .max) }
        #expect(throws: FeeError.rateTooLarge) { try FeeRate(satoshisPerKilovirtualByte: Amount.maxMoney.satoshis + 1) }
        #expect(throws: FeeError.invalidSize(-1)) { try rate.fee(forVirtualSize: -1) }
        #expect(throws: FeeError.invalidSize(-4)) { try rate.fee(forWeight: -4) }
        #expect(throws: FeeError.feeAboveMaximum) { try rate.fee(forVirtualSize: .max) }
        let maxRate = try FeeRate(satoshisPerKilovirtualByte: Amount.maxMoney.satoshis)
        #expect(throws: FeeError.feeAboveMaximum) { try maxRate.fee(forVirtualSize: 1_001) }
        #expect(try FeeRate(satoshisPerVirtualByte: 1) < rate)
    }

    @Test func feesFollowVirtualSize() throws {
        // BIP143's signed P2WPKH example: 343 bytes, 225 of them without witness.
        let transaction = try Transaction(hex: TransactionFuzzTests.segwitHex)
        #expect(transaction.totalSize == 343)
        #expect(transaction.virtualSize == (transaction.weight + 3) / 4)
        let rate = try FeeRate(satoshisPerVirtualByte: 2)
        #expect(try rate.fee(for: transaction).satoshis == 2 * Int64(transaction.virtualSize))
        let paid = try rate.fee(for: transaction)
        #expect(try transaction.feeRate(paying: paid) == rate)
    }
}
