import BitcoinPrimitives
import Testing

@Suite struct PolicyTests {
    /// Bitcoin Core's well-known thresholds at 3000 sat/kvB: P2PKH 546, P2SH 540, P2WPKH 294,
    /// P2WSH 330, P2TR 330.
    @Test func dustThresholdsMatchBitcoinCore() throws {
        let key = try PrivateKey(secretBytes: Hashing.sha256([1])).publicKey
        let script = Script.p2pkh(publicKey: key)
        #expect(Dust.threshold(for: script).satoshis == 546)
        #expect(Dust.threshold(for: .p2sh(redeemScript: script)).satoshis == 540)
        #expect(Dust.threshold(for: .p2wpkh(publicKey: key)).satoshis == 294)
        #expect(Dust.threshold(for: .p2wsh(witnessScript: script)).satoshis == 330)
        let taproot = Script(bytes: [0x51, 0x20] + [UInt8](repeating: 7, count: 32))
        #expect(Dust.threshold(for: taproot).satoshis == 330)
        #expect(Dust.threshold(for: .nullData([[1, 2, 3]])) == .zero)
        #expect(Dust.isDust(TransactionOutput(value: try Amount(satoshis: Int64(545)), scriptPubKey: script)))
        #expect(!Dust.isDust(TransactionOutput(value: try Amount(satoshis: Int64(546)), scriptPubKey: script)))
    }

    @Test func feeRates() {
        let rate = FeeRate.satoshisPerVirtualByte(2)
        #expect(rate.satoshisPerKilovirtualByte == 2000)
        #expect(rate.fee(virtualSize: 250)?.satoshis == 500)
        #expect(FeeRate(satoshisPerKilovirtualByte: 1).fee(virtualSize: 1)?.satoshis == 1)
        #expect(FeeRate(satoshisPerKilovirtualByte: 0).fee(virtualSize: 100) == .zero)
        #expect(FeeRate(satoshisPerKilovirtualByte: Int64.max).fee(virtualSize: 10) == nil)
        #expect(rate.fee(virtualSize: -1) == nil)
    }
}
