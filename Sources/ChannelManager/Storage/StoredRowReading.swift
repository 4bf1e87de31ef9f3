import BitcoinPrimitives
import ChannelStateMachine

/// The columns of one stored row, as a store's database returns them: a store adapter (the
/// SQLite store, a PostgreSQL store) conforms with the few raw accessors its database needs,
/// and every typed value, with its checks, comes from this protocol's extension. A value of the
/// wrong type, out of range, or that does not parse throws `.corrupt` naming the table, the row
/// and the column; nothing here traps, whatever the database holds.
public protocol StoredRowReading {
    /// The table the row comes from, for messages.
    var table: String { get }
    /// The row's key (the contract txid in display order, once it decodes), for messages.
    var key: String { get set }
    /// The bytes of a binary column, nil when NULL; throws `.corrupt` for another type.
    func optionalBytes(_ index: Int, _ column: String) throws(StoreError) -> [UInt8]?
    /// A 64-bit integer column; throws `.corrupt` for NULL or another type.
    func int64(_ index: Int, _ column: String) throws(StoreError) -> Int64
    /// A text column; throws `.corrupt` for NULL or another type.
    func text(_ index: Int, _ column: String) throws(StoreError) -> String
    /// Whether a column is NULL.
    func isNull(_ index: Int) -> Bool
}

extension StoredRowReading {
    /// Names the row in later messages.
    public mutating func identify(as key: String) { self.key = key }

    /// The error for a bad value in `column`.
    public func corrupt(_ column: String, _ problem: String) -> StoreError {
        StoreError(.corrupt, "\(table) row \(key): \(column) \(problem)")
    }

    /// A binary column that must not be NULL.
    public func bytes(_ index: Int, _ column: String) throws(StoreError) -> [UInt8] {
        guard let bytes = try optionalBytes(index, column) else { throw corrupt(column, "is NULL") }
        return bytes
    }

    /// A hash stored as 32 bytes in internal order.
    public func hash(_ index: Int, _ column: String) throws(StoreError) -> Hash256 {
        let bytes = try bytes(index, column)
        guard let hash = Hash256(internalOrder: bytes) else { throw corrupt(column, "is \(bytes.count) bytes, not 32") }
        return hash
    }

    /// A hash, or nil when the column is NULL.
    public func optionalHash(_ index: Int, _ column: String) throws(StoreError) -> Hash256? {
        guard let bytes = try optionalBytes(index, column) else { return nil }
        guard let hash = Hash256(internalOrder: bytes) else { throw corrupt(column, "is \(bytes.count) bytes, not 32") }
        return hash
    }

    /// An amount in satoshis.
    public func amount(_ index: Int, _ column: String) throws(StoreError) -> Amount {
        let satoshis = try int64(index, column)
        guard let amount = Amount(exactly: satoshis) else { throw corrupt(column, "\(satoshis) sat is not an amount") }
        return amount
    }

    /// An unsigned 32-bit value (a key index, an output index).
    public func uint32(_ index: Int, _ column: String) throws(StoreError) -> UInt32 {
        let value = try int64(index, column)
        guard let result = UInt32(exactly: value) else { throw corrupt(column, "\(value) is out of range") }
        return result
    }

    /// A block height (0 to 2³¹ − 1), or NULL.
    public func optionalHeight(_ index: Int, _ column: String) throws(StoreError) -> Int? {
        guard !isNull(index) else { return nil }
        let value = try int64(index, column)
        guard (0...Int64(Int32.max)).contains(value) else { throw corrupt(column, "\(value) is not a block height") }
        return Int(value)
    }

    /// A flag stored as 0 or 1.
    public func flag(_ index: Int, _ column: String) throws(StoreError) -> Bool {
        switch try int64(index, column) {
        case 0: return false
        case 1: return true
        case let value: throw corrupt(column, "\(value) is not 0 or 1")
        }
    }

    /// A UNIX time, stored as the bit pattern of a `UInt64`.
    public func time(_ index: Int, _ column: String) throws(StoreError) -> UInt64 {
        UInt64(bitPattern: try int64(index, column))
    }

    /// A channel protocol version.
    public func version(_ index: Int, _ column: String) throws(StoreError) -> ProtocolVersion {
        let value = try int64(index, column)
        guard let raw = Int32(exactly: value), let version = ProtocolVersion(rawValue: raw) else {
            throw corrupt(column, "\(value) is not a protocol version")
        }
        return version
    }

    /// A serialized transaction that must not be NULL.
    public func transaction(_ index: Int, _ column: String) throws(StoreError) -> Transaction {
        guard let transaction = try optionalTransaction(index, column) else { throw corrupt(column, "is NULL") }
        return transaction
    }

    /// A serialized transaction, or nil when the column is NULL.
    public func optionalTransaction(_ index: Int, _ column: String) throws(StoreError) -> Transaction? {
        guard let bytes = try optionalBytes(index, column) else { return nil }
        do {
            return try Transaction(bytes: bytes)
        } catch {
            throw corrupt(column, "does not parse as a transaction: \(error)")
        }
    }

    /// A serialized public key.
    public func publicKey(_ index: Int, _ column: String) throws(StoreError) -> PublicKey {
        let bytes = try bytes(index, column)
        do {
            return try PublicKey(bytes: bytes)
        } catch {
            throw corrupt(column, "is not a public key")
        }
    }

    /// A script (any bytes).
    public func script(_ index: Int, _ column: String) throws(StoreError) -> Script {
        Script(bytes: try bytes(index, column))
    }

    /// A state stored by its name.
    public func state<State: RawRepresentable<String>>(_ index: Int, _ column: String, as: State.Type)
        throws(StoreError) -> State
    {
        let name = try text(index, column)
        guard let state = State(rawValue: name) else { throw corrupt(column, "'\(name)' is not a state") }
        return state
    }

    /// A key family stored by its number.
    public func keyFamily(_ index: Int, _ column: String) throws(StoreError) -> KeyFamily {
        let number = try uint32(index, column)
        guard let family = KeyFamily(rawValue: number) else { throw corrupt(column, "\(number) is not a key family") }
        return family
    }
}
