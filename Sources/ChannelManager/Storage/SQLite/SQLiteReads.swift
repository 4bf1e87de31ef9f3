import BitcoinPrimitives
import ChannelStateMachine
import GRDB

/// The store's queries, run on a reader connection of the pool (WAL: concurrent with the writer).
enum SQLiteReads {
    static func serverChannel(_ db: Database, _ txid: Hash256) throws -> ServerChannelRecord? {
        let sql = "SELECT \(SQLiteRecordDecoding.serverColumns) FROM server_channels WHERE contract_txid = ?"
        return try Row.fetchOne(db, sql: sql, arguments: [txid.blob]).map(SQLiteRecordDecoding.server)
    }

    static func serverChannels(_ db: Database, _ states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?)
        throws -> [ServerChannelRecord]
    {
        guard !states.isEmpty else { return [] }
        // Expiries are stored as the bit pattern of a UInt64 in a signed column: values from
        // 2^63 up read as negative, so "later than" is compared as unsigned.
        var condition = ""
        var values: [(any DatabaseValueConvertible)?] = states.map(\.rawValue).sorted()
        if let expiringAfter {
            let bound = Int64(bitPattern: expiringAfter)
            condition = bound >= 0 ? " AND (expiry > ? OR expiry < 0)" : " AND (expiry < 0 AND expiry > ?)"
            values.append(bound)
        }
        let sql = """
            SELECT \(SQLiteRecordDecoding.serverColumns) FROM server_channels
            WHERE state IN (\(placeholders(states.count)))\(condition)
            """
        let arguments = StatementArguments(values)
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(SQLiteRecordDecoding.server)
            .sorted(by: StoreOrdering.server)
    }

    static func nextKeyIndex(_ db: Database, _ family: KeyFamily) throws -> UInt32 {
        let sql = "SELECT next_index FROM key_indexes WHERE family = ?"
        guard let value = try Int64.fetchOne(db, sql: sql, arguments: [Int64(family.rawValue)]) else { return 0 }
        guard let index = UInt32(exactly: value), index <= ChildNumberLimit.hardenedCount else {
            throw StoreError(.corrupt, "key_indexes row \(family): next_index \(value) is out of range")
        }
        return index
    }

    static func clientChannel(_ db: Database, _ txid: Hash256) throws -> ClientChannelRecord? {
        let sql = "SELECT \(SQLiteRecordDecoding.clientColumns) FROM client_channels WHERE contract_txid = ?"
        return try Row.fetchOne(db, sql: sql, arguments: [txid.blob]).map(SQLiteRecordDecoding.client)
    }

    static func clientChannels(_ db: Database, _ serverID: String?, _ states: Set<ClientChannelRecord.State>) throws
        -> [ClientChannelRecord]
    {
        guard !states.isEmpty else { return [] }
        var sql = """
            SELECT \(SQLiteRecordDecoding.clientColumns) FROM client_channels
            WHERE state IN (\(placeholders(states.count)))
            """
        var arguments = StatementArguments(states.map(\.rawValue).sorted())
        if let serverID {
            sql += " AND server_id = ?"
            arguments += [serverID]
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(SQLiteRecordDecoding.client)
            .sorted(by: StoreOrdering.client)
    }

    static func walletOutputs(_ db: Database, unspentOnly: Bool) throws -> [WalletOutput] {
        let filter = unspentOnly ? " WHERE spent_by IS NULL" : ""
        let sql = "SELECT \(SQLiteRecordDecoding.walletColumns) FROM wallet_outputs\(filter)"
        return try Row.fetchAll(db, sql: sql).map(SQLiteRecordDecoding.walletOutput).sorted(by: StoreOrdering.wallet)
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
