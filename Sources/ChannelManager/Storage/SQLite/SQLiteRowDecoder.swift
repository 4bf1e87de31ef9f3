import BitcoinPrimitives
import ChannelStateMachine
import GRDB

/// Reads the columns of one stored row, checking each: a value of the wrong type, out of range,
/// or that does not parse throws `.corrupt` naming the table, the row and the column. Never
/// traps, whatever the file holds.
struct SQLiteRowDecoder {
    private let values: [DatabaseValue]
    private let table: String
    /// The row's key, for messages (the contract txid in display order, when it decodes).
    private var key: String

    init(_ row: Row, table: String, columnCount: Int) throws(StoreError) {
        values = Array(row.databaseValues)
        self.table = table
        key = "?"
        guard values.count == columnCount else {
            throw StoreError(.corrupt, "\(table): expected \(columnCount) columns, read \(values.count)")
        }
    }

    /// Names the row in later messages.
    mutating func identify(as key: String) { self.key = key }

    func corrupt(_ column: String, _ problem: String) -> StoreError {
        StoreError(.corrupt, "\(table) row \(key): \(column) \(problem)")
    }

    func blob(_ index: Int, _ column: String) throws(StoreError) -> [UInt8] {
        guard let bytes = try optionalBlob(index, column) else { throw corrupt(column, "is NULL") }
        return bytes
    }

    func optionalBlob(_ index: Int, _ column: String) throws(StoreError) -> [UInt8]? {
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

    func hash(_ index: Int, _ column: String) throws(StoreError) -> Hash256 {
        let bytes = try blob(index, column)
        guard let hash = Hash256(internalOrder: bytes) else { throw corrupt(column, "is \(bytes.count) bytes, not 32") }
        return hash
    }

    func optionalHash(_ index: Int, _ column: String) throws(StoreError) -> Hash256? {
        guard values[index].isNull == false else { return nil }
        return try hash(index, column)
    }

    func amount(_ index: Int, _ column: String) throws(StoreError) -> Amount {
        let satoshis = try int64(index, column)
        guard let amount = Amount(exactly: satoshis) else { throw corrupt(column, "\(satoshis) sat is not an amount") }
        return amount
    }

    func uint32(_ index: Int, _ column: String) throws(StoreError) -> UInt32 {
        let value = try int64(index, column)
        guard let result = UInt32(exactly: value) else { throw corrupt(column, "\(value) is out of range") }
        return result
    }

    /// A block height (0 to 2³¹ − 1), or NULL.
    func optionalHeight(_ index: Int, _ column: String) throws(StoreError) -> Int? {
        guard values[index].isNull == false else { return nil }
        let value = try int64(index, column)
        guard (0...Int64(Int32.max)).contains(value) else { throw corrupt(column, "\(value) is not a block height") }
        return Int(value)
    }

    /// A flag stored as 0 or 1.
    func flag(_ index: Int, _ column: String) throws(StoreError) -> Bool {
        switch try int64(index, column) {
        case 0: return false
        case 1: return true
        case let value: throw corrupt(column, "\(value) is not 0 or 1")
        }
    }

    /// A UNIX time, stored as the bit pattern of a `UInt64`.
    func time(_ index: Int, _ column: String) throws(StoreError) -> UInt64 {
        UInt64(bitPattern: try int64(index, column))
    }

    func version(_ index: Int, _ column: String) throws(StoreError) -> ProtocolVersion {
        let value = try int64(index, column)
        guard let raw = Int32(exactly: value), let version = ProtocolVersion(rawValue: raw) else {
            throw corrupt(column, "\(value) is not a protocol version")
        }
        return version
    }

    func transaction(_ index: Int, _ column: String) throws(StoreError) -> Transaction {
        guard let transaction = try optionalTransaction(index, column) else { throw corrupt(column, "is NULL") }
        return transaction
    }

    func optionalTransaction(_ index: Int, _ column: String) throws(StoreError) -> Transaction? {
        guard let bytes = try optionalBlob(index, column) else { return nil }
        do {
            return try Transaction(bytes: bytes)
        } catch {
            throw corrupt(column, "does not parse as a transaction: \(error)")
        }
    }

    func publicKey(_ index: Int, _ column: String) throws(StoreError) -> PublicKey {
        let bytes = try blob(index, column)
        do {
            return try PublicKey(bytes: bytes)
        } catch {
            throw corrupt(column, "is not a public key")
        }
    }

    func script(_ index: Int, _ column: String) throws(StoreError) -> Script {
        Script(bytes: try blob(index, column))
    }

    func state<State: RawRepresentable<String>>(_ index: Int, _ column: String, as: State.Type) throws(StoreError)
        -> State
    {
        let name = try text(index, column)
        guard let state = State(rawValue: name) else { throw corrupt(column, "'\(name)' is not a state") }
        return state
    }
}
