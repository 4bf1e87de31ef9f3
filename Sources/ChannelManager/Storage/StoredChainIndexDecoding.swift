import BitcoinPrimitives

/// The chain follower's index tables as every store has them (the columns each read selects,
/// in order), and the decoding of their rows through ``StoredRowReading``: every value checked,
/// `.corrupt` for a bad one.
public enum StoredChainIndexDecoding {
    /// The query of each table, without a `FROM` (stores add it).
    public static let cursorColumns = "height, block_hash"
    /// The columns of a watched outpoint.
    public static let outpointColumns = "txid, output_index, spending_tx, spent_height, spent_block"
    /// The columns of a watched transaction.
    public static let transactionColumns = "txid, own_tx, block_height, block_hash, left_chain"
    /// The column of a watched script.
    public static let scriptColumns = "script"

    /// The cursor from a row of ``cursorColumns``.
    public static func cursor<Row: StoredRowReading>(_ fields: Row) throws(StoreError) -> BlockPosition {
        try position(fields, 0, 1, "height", "block_hash")
    }

    /// A watched outpoint from a row of ``outpointColumns``.
    public static func outpoint<Row: StoredRowReading>(_ row: Row) throws(StoreError) -> WatchedOutpoint {
        var fields = row
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

    /// A watched transaction from a row of ``transactionColumns``.
    public static func transaction<Row: StoredRowReading>(_ row: Row) throws(StoreError) -> WatchedTransaction {
        var fields = row
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
        return WatchedTransaction(
            txid: txid, ownTransaction: own, block: block, leftChain: try fields.flag(4, "left_chain"))
    }

    /// A watched script from a row of ``scriptColumns``.
    public static func script<Row: StoredRowReading>(_ fields: Row) throws(StoreError) -> Script {
        try fields.script(0, "script")
    }

    private static func position<Row: StoredRowReading>(
        _ fields: Row, _ heightIndex: Int, _ hashIndex: Int, _ heightColumn: String, _ hashColumn: String
    ) throws(StoreError) -> BlockPosition {
        let height = try fields.int64(heightIndex, heightColumn)
        guard height >= 0, let value = Int(exactly: height) else {
            throw fields.corrupt(heightColumn, "\(height) is out of range")
        }
        return BlockPosition(height: value, hash: try fields.hash(hashIndex, hashColumn))
    }
}
