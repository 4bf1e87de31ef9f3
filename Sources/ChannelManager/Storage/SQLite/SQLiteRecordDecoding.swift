import BitcoinPrimitives
import ChannelStateMachine
import GRDB

/// The decoding of SQLite rows into records (``StoredRecordDecoding`` over ``SQLiteRowDecoder``).
enum SQLiteRecordDecoding {
    static let serverColumns = StoredRecordDecoding.serverColumns
    static let clientColumns = StoredRecordDecoding.clientColumns
    static let walletColumns = StoredRecordDecoding.walletColumns

    static func server(_ row: Row) throws(StoreError) -> ServerChannelRecord {
        try StoredRecordDecoding.server(
            SQLiteRowDecoder(row, table: "server_channels", columnCount: StoredRecordDecoding.serverColumnCount))
    }

    static func client(_ row: Row) throws(StoreError) -> ClientChannelRecord {
        try StoredRecordDecoding.client(
            SQLiteRowDecoder(row, table: "client_channels", columnCount: StoredRecordDecoding.clientColumnCount))
    }

    static func walletOutput(_ row: Row) throws(StoreError) -> WalletOutput {
        try StoredRecordDecoding.walletOutput(
            SQLiteRowDecoder(row, table: "wallet_outputs", columnCount: StoredRecordDecoding.walletColumnCount))
    }
}
