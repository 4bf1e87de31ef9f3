import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import NIOCore
import PostgresNIO

/// One stored row as PostgreSQL returns it, read through ``StoredRowReading`` (which checks
/// every value): a cell of another type than the schema says, or NULL where none may be,
/// throws `.corrupt` naming the table, the row and the column. Never traps.
struct PostgresRowDecoder: StoredRowReading {
    private let cells: PostgresRandomAccessRow
    let table: String
    var key = "?"

    init(_ row: PostgresRow, table: String, columnCount: Int) throws(StoreError) {
        cells = row.makeRandomAccess()
        self.table = table
        guard cells.count == columnCount else {
            throw StoreError(.corrupt, "\(table): expected \(columnCount) columns, read \(cells.count)")
        }
    }

    func optionalBytes(_ index: Int, _ column: String) throws(StoreError) -> [UInt8]? {
        let cell = cells[index]
        guard cell.bytes != nil else { return nil }
        guard cell.dataType == .bytea, let buffer = try? cell.decode(ByteBuffer.self) else {
            throw corrupt(column, "is not bytea")
        }
        return Array(buffer: buffer)
    }

    func isNull(_ index: Int) -> Bool { cells[index].bytes == nil }

    func int64(_ index: Int, _ column: String) throws(StoreError) -> Int64 {
        let cell = cells[index]
        guard cell.bytes != nil else { throw corrupt(column, "is NULL") }
        guard cell.dataType == .int8, let value = try? cell.decode(Int64.self) else {
            throw corrupt(column, "is not a bigint")
        }
        return value
    }

    func text(_ index: Int, _ column: String) throws(StoreError) -> String {
        let cell = cells[index]
        guard cell.bytes != nil else { throw corrupt(column, "is NULL") }
        guard cell.dataType == .text, let value = try? cell.decode(String.self) else {
            throw corrupt(column, "is not text")
        }
        return value
    }
}

/// The store's queries, and the decoding of their rows into records.
enum PostgresReads {
    static func serverChannel(_ txid: Hash256) -> PostgresQuery {
        "SELECT \(unescaped: StoredRecordDecoding.serverColumns) FROM server_channels WHERE contract_txid = \(txid.buffer)"
    }

    static func clientChannel(_ txid: Hash256) -> PostgresQuery {
        "SELECT \(unescaped: StoredRecordDecoding.clientColumns) FROM client_channels WHERE contract_txid = \(txid.buffer)"
    }

    /// Server channels in `states`; with `expiringAfter`, only those whose expiry is later,
    /// compared as unsigned (expiries from 2^63 up are stored as negative numbers).
    static func serverChannels(states: [String], expiringAfter: UInt64?) -> PostgresQuery {
        guard let expiringAfter else {
            return """
                SELECT \(unescaped: StoredRecordDecoding.serverColumns) FROM server_channels
                WHERE state = ANY(\(states)::text[])
                """
        }
        let bound = Int64(bitPattern: expiringAfter)
        // `bound` is a number, so it can be written into the SQL text.
        let condition = bound >= 0 ? "(expiry > \(bound) OR expiry < 0)" : "(expiry < 0 AND expiry > \(bound))"
        return """
            SELECT \(unescaped: StoredRecordDecoding.serverColumns) FROM server_channels
            WHERE state = ANY(\(states)::text[]) AND \(unescaped: condition)
            """
    }

    static func clientChannels(serverID: String?, states: [String]) -> PostgresQuery {
        guard let serverID else {
            return """
                SELECT \(unescaped: StoredRecordDecoding.clientColumns) FROM client_channels
                WHERE state = ANY(\(states)::text[])
                """
        }
        return """
            SELECT \(unescaped: StoredRecordDecoding.clientColumns) FROM client_channels
            WHERE state = ANY(\(states)::text[]) AND server_id = \(serverID)
            """
    }

    static func walletOutputs(unspentOnly: Bool) -> PostgresQuery {
        let filter = unspentOnly ? " WHERE spent_by IS NULL" : ""
        return "SELECT \(unescaped: StoredRecordDecoding.walletColumns) FROM wallet_outputs\(unescaped: filter)"
    }

    /// The chain index tables, each read whole.
    static func chainTable(_ table: String, _ columns: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(columns) FROM \(table)")
    }

    static func server(_ row: PostgresRow) throws(StoreError) -> ServerChannelRecord {
        try StoredRecordDecoding.server(
            PostgresRowDecoder(row, table: "server_channels", columnCount: StoredRecordDecoding.serverColumnCount))
    }

    static func client(_ row: PostgresRow) throws(StoreError) -> ClientChannelRecord {
        try StoredRecordDecoding.client(
            PostgresRowDecoder(row, table: "client_channels", columnCount: StoredRecordDecoding.clientColumnCount))
    }

    static func walletOutput(_ row: PostgresRow) throws(StoreError) -> WalletOutput {
        try StoredRecordDecoding.walletOutput(
            PostgresRowDecoder(row, table: "wallet_outputs", columnCount: StoredRecordDecoding.walletColumnCount))
    }
}
