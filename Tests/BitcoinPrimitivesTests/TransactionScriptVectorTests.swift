import BitcoinPrimitives
import Foundation
import Testing

/// The scripts of Bitcoin Core's `tx_valid.json` / `tx_invalid.json` run through
/// ScriptVerifier, for the rows within its subset (others are skipped, with the reason
/// printed): every input of a valid transaction verifies with all rules but the excluded
/// ones; some input of an invalid one fails under the listed rules.
@Suite struct TransactionScriptVectorTests {
    struct Row {
        let spentOutputs: [TransactionOutput]
        let transaction: Transaction
        let flags: ScriptVerifier.Flags
        let hasLaxSignature: Bool
    }

    enum Skip: Error {
        case reason(String)
    }

    static func rows(_ file: String, flagsAreExclusions: Bool) throws -> (rows: [Row], skipped: [String: Int]) {
        var rows: [Row] = []
        var skipped: [String: Int] = [:]
        for row in try VectorFiles.rows(file) {
            guard row.count == 3, let prevouts = row[0] as? [[Any]], let hex = row[1] as? String,
                let flagText = row[2] as? String
            else { continue }
            do {
                let named = flagText.split(separator: ",").map(String.init)
                if named.contains("BADTX") { throw Skip.reason("BADTX (basic transaction checks, not scripts)") }
                var flags: ScriptVerifier.Flags = []
                for name in named {
                    guard let flag = ScriptTestsVectorTests.flagNames[name] else {
                        if flagsAreExclusions { continue }
                        throw Skip.reason("flag \(name) (not implemented)")
                    }
                    flags.formUnion(flag)
                }
                if flagsAreExclusions { flags = ScriptVerifier.Flags.standard.subtracting(flags) }
                let transaction = try Transaction(hex: hex)
                var byOutpoint: [OutPoint: TransactionOutput] = [:]
                for prevout in prevouts {
                    guard prevout.count >= 3, let txidHex = prevout[0] as? String,
                        let index = (prevout[1] as? NSNumber)?.int64Value, let asm = prevout[2] as? String,
                        let txid = Hash256(displayHex: txidHex)
                    else { throw VectorFormatError("bad prevout \(prevout)") }
                    let value = prevout.count > 3 ? ((prevout[3] as? NSNumber)?.int64Value ?? 0) : 0
                    let script: Script
                    do { script = try ScriptAssembly.parse(asm) } catch { throw Skip.reason("unparsed script") }
                    let outpoint = OutPoint(txid: txid, index: UInt32(truncatingIfNeeded: index))
                    byOutpoint[outpoint] = TransactionOutput(value: try Amount(satoshis: value), scriptPubKey: script)
                }
                let spent = try transaction.inputs.map { input in
                    guard let output = byOutpoint[input.previousOutput] else { throw Skip.reason("missing prevout") }
                    return output
                }
                let lax = transaction.inputs.contains {
                    ScriptTestsVectorTests.hasLaxSignature($0.scriptSig, witness: $0.witness)
                }
                rows.append(Row(spentOutputs: spent, transaction: transaction, flags: flags, hasLaxSignature: lax))
            } catch Skip.reason(let reason) {
                skipped[reason, default: 0] += 1
            }
        }
        return (rows, skipped)
    }

    /// Runs every input; returns the first error, or `nil` when all verify.
    static func firstError(_ row: Row) -> ScriptError? {
        do {
            try ScriptVerifier.verify(transaction: row.transaction, spentOutputs: row.spentOutputs, flags: row.flags)
            return nil
        } catch .inputFailed(_, let error) {
            return error
        } catch {
            return error
        }
    }

    /// Errors that mean "outside the subset" rather than a verdict.
    static func isOutsideSubset(_ error: ScriptError) -> Bool {
        switch error {
        case .unsupportedOpcode, .unsupportedWitnessVersion: return true
        default: return false
        }
    }

    @Test func txValidScriptsVerify() throws {
        var (rows, skipped) = try Self.rows("bitcoin-core/tx_valid.json", flagsAreExclusions: true)
        var ran = 0
        for row in rows {
            let error = Self.firstError(row)
            if let error, Self.isOutsideSubset(error) {
                skipped["\(error) (outside the subset)", default: 0] += 1
                continue
            }
            if row.hasLaxSignature && row.flags.isDisjoint(with: [.derSignatures, .lowS, .strictEncoding]) {
                skipped["pre-BIP66 lax DER signature (not implemented)", default: 0] += 1
                continue
            }
            ran += 1
            #expect(error == nil, "tx_valid \(row.transaction.txid): \(error.map { "\($0)" } ?? "")")
        }
        print("tx_valid.json scripts: \(ran) transactions verified; skipped \(skipped)")
        #expect(ran > 50)
    }

    @Test func txInvalidScriptsFail() throws {
        var (rows, skipped) = try Self.rows("bitcoin-core/tx_invalid.json", flagsAreExclusions: false)
        var ran = 0
        for row in rows {
            let error = Self.firstError(row)
            if let error, Self.isOutsideSubset(error) {
                skipped["\(error) (outside the subset)", default: 0] += 1
                continue
            }
            ran += 1
            #expect(error != nil, "tx_invalid \(row.transaction.txid) verified")
        }
        print("tx_invalid.json scripts: \(ran) transactions refused; skipped \(skipped)")
        #expect(ran > 30)
    }
}
