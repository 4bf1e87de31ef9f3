import BitcoinPrimitives
import ChannelStateMachine
import GRDB

/// One stored SQLite row, read through ``StoredRowReading`` (which checks every value): a value
/// of the wrong storage class throws `.corrupt` naming the table, the row and the column. Never
/// traps, whatever the file holds.
struct SQLiteRowDecoder: StoredRowReading {
    private let values: [DatabaseValue]
    let table: String
    var key = "?"

    init(_ row: Row, table: String, columnCount: Int) throws(StoreError) {
        values = Array(row.databaseValues)
        self.table = table
        guard values.count == columnCount else {
            throw StoreError(.corrupt, "\(table): expected \(columnCount) columns, read \(values.count)")
        }
    }

    func optionalBytes(_ index: Int, _ column: String) throws(StoreError) -> [UInt8]? {
        switch values[index].storage {
        case .null: return nil
        case .blob(let data): return [UInt8](data)
        default: throw corrupt(column, "is not a BLOB")
        }
    }

    func isNull(_ index: Int) -> Bool { values[index].isNull }

    func int64(_ index: Int, _ column: String) throws(StoreError) -> Int64 {
        guard case .int64(let value) = values[index].storage else { throw corrupt(column, "is not an INTEGER") }
        return value
    }

    func text(_ index: Int, _ column: String) throws(StoreError) -> String {
        guard case .string(let value) = values[index].storage else { throw corrupt(column, "is not TEXT") }
        return value
    }
}
