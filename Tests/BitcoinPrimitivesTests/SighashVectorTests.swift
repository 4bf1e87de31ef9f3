import BitcoinPrimitives
import Foundation
import Testing

/// Bitcoin Core's legacy signature hash vectors (`sighash.json`), every row.
@Suite struct SighashVectorTests {
    @Test func everyRowOfSighashJSON() throws {
        let rows = try VectorFiles.rows("bitcoin-core/sighash.json")
        var checked = 0
        var skippedHeader = 0
        for row in rows {
            guard row.count == 5 else {
                // The first row is the one-string header.
                skippedHeader += 1
                continue
            }
            guard let txHex = row[0] as? String, let scriptHex = row[1] as? String,
                let index = (row[2] as? NSNumber)?.intValue, let type = (row[3] as? NSNumber)?.int64Value,
                let expected = row[4] as? String
            else { throw VectorFormatError("bad sighash row \(row)") }
            let transaction = try Transaction(hex: txHex)
            let script = Script(bytes: try [UInt8](testHex: scriptHex))
            let hashType = SighashType(rawValue: UInt32(bitPattern: Int32(truncatingIfNeeded: type)))
            let hash = try transaction.legacySignatureHash(inputIndex: index, scriptCode: script, type: hashType)
            #expect(hash.displayHex == expected, "row \(checked): \(txHex.prefix(32))… type \(type)")
            // Parsing and re-serializing the vector transaction gives back its bytes.
            #expect(transaction.serialized.hex == txHex)
            checked += 1
        }
        print("sighash.json: \(checked) rows checked, \(skippedHeader) header row(s) skipped")
        #expect(checked > 400)
    }
}
