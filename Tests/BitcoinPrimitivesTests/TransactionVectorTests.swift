import BitcoinPrimitives
import Foundation
import Testing

/// Every transaction of Bitcoin Core's `tx_valid.json` and `tx_invalid.json` parses and
/// re-serializes byte for byte; only malformed `BADTX` rows of `tx_invalid` may fail, and then
/// with a typed ``ParseError``.
@Suite struct TransactionVectorTests {
    /// A transaction row: `[[prevouts...], tx_hex, flags]`. One-string rows are comments.
    struct Row {
        let hex: String
        let flags: String
    }

    static func transactionRows(_ file: String) throws -> (rows: [Row], comments: Int) {
        var rows: [Row] = []
        var comments = 0
        for row in try VectorFiles.rows(file) {
            if row.count == 1, row[0] is String {
                comments += 1
                continue
            }
            guard row.count == 3, let hex = row[1] as? String, let flags = row[2] as? String else {
                throw VectorFormatError("unexpected row in \(file): \(row)")
            }
            rows.append(Row(hex: hex, flags: flags))
        }
        return (rows, comments)
    }

    @Test func txValidRoundTrips() throws {
        let (rows, comments) = try Self.transactionRows("bitcoin-core/tx_valid.json")
        var roundTripped = 0
        for row in rows {
            let bytes = try [UInt8](testHex: row.hex)
            let transaction = try Transaction(bytes: bytes)
            #expect(transaction.serialized == bytes, "tx_valid \(row.hex.prefix(40))…")
            roundTripped += 1
        }
        print("tx_valid.json: \(roundTripped) transactions parsed and re-serialized; \(comments) comment rows")
        #expect(roundTripped == rows.count && roundTripped > 100)
    }

    @Test func txInvalidRoundTripsOrFailsAsBadTx() throws {
        let (rows, comments) = try Self.transactionRows("bitcoin-core/tx_invalid.json")
        var roundTripped = 0
        var refusedBadTx: [String] = []
        for row in rows {
            let bytes = try [UInt8](testHex: row.hex)
            do {
                let transaction = try Transaction(bytes: bytes)
                #expect(transaction.serialized == bytes, "tx_invalid \(row.hex.prefix(40))…")
                roundTripped += 1
            } catch {
                // Only transactions that fail basic checks may be refused by the parser.
                #expect(row.flags.split(separator: ",").contains("BADTX"), "refused non-BADTX row: \(error)")
                refusedBadTx.append("\(error)")
            }
        }
        print(
            "tx_invalid.json: \(roundTripped) transactions parsed and re-serialized, "
                + "\(refusedBadTx.count) BADTX rows refused by the parser (\(refusedBadTx.joined(separator: "; "))); "
                + "\(comments) comment rows")
        #expect(roundTripped + refusedBadTx.count == rows.count)
    }
}
