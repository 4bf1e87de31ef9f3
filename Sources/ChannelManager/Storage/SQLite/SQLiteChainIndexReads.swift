import BitcoinPrimitives
import GRDB

/// Reads the chain follower's index (schema `v4`), validating every row
/// (``StoredChainIndexDecoding``: `.corrupt` on a bad one).
enum SQLiteChainIndexReads {
    static func chainIndex(_ db: Database) throws -> ChainIndex {
        typealias Decoding = StoredChainIndexDecoding
        var index = ChainIndex()
        let cursorSQL = "SELECT \(Decoding.cursorColumns) FROM chain_cursor WHERE id = 1"
        if let row = try Row.fetchOne(db, sql: cursorSQL) {
            index.cursor = try Decoding.cursor(SQLiteRowDecoder(row, table: "chain_cursor", columnCount: 2))
        }
        for row in try Row.fetchAll(db, sql: "SELECT \(Decoding.outpointColumns) FROM chain_watched_outpoints") {
            let watched = try Decoding.outpoint(SQLiteRowDecoder(row, table: "chain_watched_outpoints", columnCount: 5))
            index.outpoints[watched.outpoint] = watched
        }
        let transactionSQL = "SELECT \(Decoding.transactionColumns) FROM chain_watched_transactions"
        for row in try Row.fetchAll(db, sql: transactionSQL) {
            let watched = try Decoding.transaction(
                SQLiteRowDecoder(row, table: "chain_watched_transactions", columnCount: 5))
            index.transactions[watched.txid] = watched
        }
        for row in try Row.fetchAll(db, sql: "SELECT \(Decoding.scriptColumns) FROM chain_watched_scripts") {
            index.scripts.insert(
                try Decoding.script(SQLiteRowDecoder(row, table: "chain_watched_scripts", columnCount: 1)))
        }
        return index
    }
}
