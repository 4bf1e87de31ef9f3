import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

/// `PaymentTransaction`'s specialised sighash against bitcoinj's recorded payment hashes and the
/// general legacy sighash, for every payment in every channel fixture.
@Suite struct SighashCrossCheckTests {
    @Test(arguments: Fixtures.channelFiles)
    func paymentSighashesMatchBitcoinj(file: String) throws {
        let fixture = try Fixtures.load(file)
        let clientKey = try PublicKey(bytes: try ReplaySetup.bytes(fixture, "client_public_key"))
        let transactions = fixture["transactions"] as? [String: Any] ?? [:]
        let contract = try Transaction(
            bytes: try ReplaySetup.bytes(transactions["contract"] as? [String: Any] ?? [:], "hex"))
        let payments = transactions["payments"] as? [[String: Any]] ?? []
        #expect(payments.count >= 2)
        for entry in payments {
            let n = (entry["n"] as? NSNumber)?.intValue ?? -1
            let signedScript = Script(bytes: try ReplaySetup.bytes(entry, "signed_script"))
            let change = try ReplaySetup.amount(Int64(try ReplaySetup.uint64(entry, "client_change_value")))
            let expected = try ReplaySetup.bytes(entry, "sighash")
            let payment = PaymentTransaction(
                contractOutpoint: OutPoint(txid: contract.txid, index: 0),
                clientOutputScript: Script.p2pkh(publicKey: clientKey), signedScript: signedScript)

            #expect(payment.sighash(change: change).internalBytes == expected, "\(file) payment \(n)")

            let unsignedBytes = try ReplaySetup.bytes(entry, "unsigned_payment_tx")
            #expect(payment.unsigned(change: change).serialized == unsignedBytes, "\(file) payment \(n)")
            let unsigned = try Transaction(bytes: unsignedBytes)
            let type = PaymentTransaction.sighashType(change: change)
            let general = try unsigned.legacySignatureHash(inputIndex: 0, scriptCode: signedScript, type: type)
            #expect(general.internalBytes == expected, "\(file) payment \(n)")
            #expect(general == payment.sighash(change: change), "\(file) payment \(n)")

            // bitcoinj's signature verifies over that hash, and its sighash byte is the one we use.
            let signature = try ReplaySetup.bytes(entry, "client_signature")
            #expect(signature.last.map(UInt32.init) == type.rawValue, "\(file) payment \(n)")
            #expect(throws: Never.self) {
                try payment.verify(signature: signature, change: change, clientKey: clientKey)
            }
        }
    }

    /// The fast builder agrees with the general sighash away from the recorded values too:
    /// zero change (NONE|ANYONECANPAY), dust-sized and large changes, both contract versions.
    @Test(arguments: Fixtures.channelFiles)
    func specialisedSighashAgreesWithGeneral(file: String) throws {
        let fixture = try Fixtures.load(file)
        let clientKey = try PublicKey(bytes: try ReplaySetup.bytes(fixture, "client_public_key"))
        let transactions = fixture["transactions"] as? [String: Any] ?? [:]
        let contract = try Transaction(
            bytes: try ReplaySetup.bytes(transactions["contract"] as? [String: Any] ?? [:], "hex"))
        let entry = (transactions["payments"] as? [[String: Any]] ?? []).first ?? [:]
        let signedScript = Script(bytes: try ReplaySetup.bytes(entry, "signed_script"))
        let payment = PaymentTransaction(
            contractOutpoint: OutPoint(txid: contract.txid, index: 0),
            clientOutputScript: Script.p2pkh(publicKey: clientKey), signedScript: signedScript)
        for satoshis: Int64 in [0, 1, 545, 546, 999_000, 1_000_000, 21_000_000 * 100_000_000] {
            let change = try ReplaySetup.amount(satoshis)
            let general = try payment.unsigned(change: change).legacySignatureHash(
                inputIndex: 0, scriptCode: signedScript, type: PaymentTransaction.sighashType(change: change))
            #expect(payment.sighash(change: change) == general, "\(file) change \(satoshis)")
        }
    }
}
