import BitcoinPrimitives
import GRDB

/// Reads the chain follower's index (schema `v4`), validating every row (`.corrupt` on a bad
/// one).
enum SQLiteChainIndexReads {
    static func chainIndex(_ db: Database) throws -> ChainIndex {
        var index = ChainIndex()
        if let row = try Row.fetchOne(db, sql: "SELECT height, block_hash FROM chain_cursor WHERE id = 1") {
            let fields = try SQLiteRowDecoder(row, table: "chain_cursor", columnCount: 2)
            index.cursor = try position(fields, 0, 1, "height", "block_hash")
        }
        let outpointSQL = """
            SELECT txid, output_index, spending_tx, spent_height, spent_block FROM chain_watched_outpoints
            """
        for row in try Row.fetchAll(db, sql: outpointSQL) {
            let watched = try outpoint(row)
            index.outpoints[watched.outpoint] = watched
        }
        let transactionSQL = "SELECT txid, own_tx, block_height, block_hash, left_chain FROM chain_watched_transactions"
        for row in try Row.fetchAll(db, sql: transactionSQL) {
            let watched = try transaction(row)
            index.transactions[watched.txid] = watched
        }
        for row in try Row.fetchAll(db, sql: "SELECT script FROM chain_watched_scripts") {
            let fields = try SQLiteRowDecoder(row, table: "chain_watched_scripts", columnCount: 1)
            index.scripts.insert(try fields.script(0, "script"))
        }
        return index
    }

    private static func outpoint(_ row: Row) throws(StoreError) -> WatchedOutpoint {
        var fields = try SQLiteRowDecoder(row, table: "chain_watched_outpoints", columnCount: 5)
        let outpoint = OutPoint(txid: try fields.hash(0, "txid"), index: try fields.uint32(1, "output_index"))
        fields.identify(as: outpoint.description)
        guard let spending = try fields.optionalTransaction(2, "spending_tx") else {
            guard fields.isNull(3), fields.isNull(4) else {
                throw fields.corrupt("spent_height", "is set without a spending transaction")
            }
            return WatchedOutpoint(outpoint: outpoint)
        }
        guard spending.inputs.contains(where: { $0.previousOutput == outpoint }) else {
            throw fields.corrupt("spending_tx", "does not spend the outpoint")
        }
        let block = try position(fields, 3, 4, "spent_height", "spent_block")
        return WatchedOutpoint(outpoint: outpoint, spend: ChainSpend(transaction: spending, block: block))
    }

    private static func transaction(_ row: Row) throws(StoreError) -> WatchedTransaction {
        var fields = try SQLiteRowDecoder(row, table: "chain_watched_transactions", columnCount: 5)
        let txid = try fields.hash(0, "txid")
        fields.identify(as: txid.displayHex)
        let own = try fields.optionalTransaction(1, "own_tx")
        if let own, own.txid != txid { throw fields.corrupt("own_tx", "has txid \(own.txid.displayHex)") }
        let block: BlockPosition?
        if fields.isNull(2) && fields.isNull(3) {
            block = nil
        } else {
            block = try position(fields, 2, 3, "block_height", "block_hash")
        }
        let leftChain = try fields.int64(4, "left_chain")
        guard leftChain == 0 || leftChain == 1 else { throw fields.corrupt("left_chain", "\(leftChain) is not 0 or 1") }
        return WatchedTransaction(txid: txid, ownTransaction: own, block: block, leftChain: leftChain == 1)
    }

    private static func position(
        _ fields: SQLiteRowDecoder, _ heightIndex: Int, _ hashIndex: Int, _ heightColumn: String, _ hashColumn: String
    ) throws(StoreError) -> BlockPosition {
        let height = try fields.int64(heightIndex, heightColumn)
        guard height >= 0, let value = Int(exactly: height) else {
            throw fields.corrupt(heightColumn, "\(height) is out of range")
        }
        return BlockPosition(height: value, hash: try fields.hash(hashIndex, hashColumn))
    }
}
