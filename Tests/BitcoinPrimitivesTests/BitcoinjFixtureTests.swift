import BitcoinPrimitives
import Foundation
import Testing

/// The recorded bitcoinj v0.15.10 channel conversations (`../shared/vectors/bitcoinj/`):
/// their transactions, payment signature hashes and signatures.
@Suite struct BitcoinjFixtureTests {
    static let files = ["v1-open-pay-close.json", "v2-open-pay-close.json", "v2-reopen.json"]

    static func transactions(_ file: String) throws -> [String: Any] {
        let fixture = try VectorFiles.object("bitcoinj/" + file)
        guard let transactions = fixture["transactions"] as? [String: Any] else {
            throw VectorFormatError("\(file) has no transactions")
        }
        return transactions
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw VectorFormatError("missing \(key)") }
        return value
    }

    @Test(arguments: files) func transactionsRoundTripWithRecordedTxids(file: String) throws {
        var count = 0
        for (name, value) in try Self.transactions(file) {
            guard let entry = value as? [String: Any], let hex = entry["hex"] as? String else { continue }
            let transaction = try Transaction(hex: hex)
            #expect(transaction.serialized.hex == hex, "\(file) \(name)")
            #expect(transaction.txid.displayHex == (try Self.string(entry, "txid")), "\(file) \(name)")
            if let size = entry["size"] as? Int { #expect(transaction.totalSize == size) }
            count += 1
        }
        print("\(file): \(count) recorded transactions round-trip with their txids")
        #expect(count >= 3)
    }

    @Test(arguments: files) func paymentSighashesAndSignatures(file: String) throws {
        let fixture = try VectorFiles.object("bitcoinj/" + file)
        let clientKey = try PublicKey(bytes: try [UInt8](testHex: try Self.string(fixture, "client_public_key")))
        guard let payments = try Self.transactions(file)["payments"] as? [[String: Any]] else {
            throw VectorFormatError("\(file) has no payments")
        }
        for payment in payments {
            let unsignedHex = try Self.string(payment, "unsigned_payment_tx")
            let transaction = try Transaction(hex: unsignedHex)
            #expect(transaction.serialized.hex == unsignedHex)
            let signedScript = Script(bytes: try [UInt8](testHex: try Self.string(payment, "signed_script")))
            let signature = try TransactionSignature(
                encoded: try [UInt8](testHex: try Self.string(payment, "client_signature")))
            // "SINGLE|ANYONECANPAY (0x83)": the type named in the fixture is the signature's.
            let typeText = try Self.string(payment, "sighash_type")
            #expect(typeText.hasSuffix("(0x" + String(signature.sighashType.rawValue, radix: 16) + ")"))
            let sighash = try transaction.legacySignatureHash(
                inputIndex: 0, scriptCode: signedScript, type: signature.sighashType)
            // The fixture's sighash is the raw double SHA-256 (internal order).
            #expect(sighash.internalBytes.hex == (try Self.string(payment, "sighash")), "\(file) payment")
            #expect(clientKey.verify(signature, sighash: sighash), "\(file) payment signature")
        }
        print("\(file): \(payments.count) payment sighashes and client signatures checked")
        #expect(!payments.isEmpty)
    }

    @Test(arguments: files) func contractSpendsVerify(file: String) throws {
        var verified: [String] = []
        for (name, value) in try Self.transactions(file) {
            guard let entry = value as? [String: Any], let hex = entry["hex"] as? String,
                let inputs = entry["inputs"] as? [[String: Any]]
            else { continue }
            // Only fully signed transactions: the v1 refund as sent to the server is unsigned.
            guard inputs.allSatisfy({ $0["bitcoinj_script_check"] != nil }) else { continue }
            let transaction = try Transaction(hex: hex)
            var spentOutputs: [TransactionOutput] = []
            for input in inputs {
                guard let spent = input["spent_output"] as? [String: Any], let amount = spent["amount"] as? Int64
                else { throw VectorFormatError("\(file) \(name): no spent output") }
                let script = Script(bytes: try [UInt8](testHex: try Self.string(spent, "script_pubkey")))
                spentOutputs.append(TransactionOutput(value: try Amount(satoshis: amount), scriptPubKey: script))
            }
            #expect(throws: Never.self, "\(file) \(name)") {
                try ScriptVerifier.verify(transaction: transaction, spentOutputs: spentOutputs)
            }
            verified.append(name)
        }
        print("\(file): inputs verified by ScriptVerifier in \(verified.sorted().joined(separator: ", "))")
        #expect(verified.contains("refund") && verified.contains("settlement") && verified.contains("contract"))
    }
}
