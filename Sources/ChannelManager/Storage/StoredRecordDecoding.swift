import BitcoinPrimitives
import ChannelStateMachine

/// The columns every store's tables have for records, in the order reads select them, and the
/// decoding of such a row into a record (through ``StoredRowReading``, so that each value is
/// checked). A row whose contract is not the one its key names is `.corrupt`.
public enum StoredRecordDecoding {
    /// The server channel columns, in the order ``server(_:)`` reads them.
    public static let serverColumns = """
        contract_txid, version, contract, channel_value, server_key_index, server_public_key, client_public_key,
        client_output_script, expiry, best_value_to_server, best_signature, state, settlement
        """
    /// The client channel columns, in the order ``client(_:)`` reads them.
    public static let clientColumns = """
        contract_txid, version, server_id, contract, channel_value, refund, client_key_index, client_public_key,
        server_public_key, expiry, value_left, min_payment, state, settlement
        """
    /// The wallet output columns, in the order ``walletOutput(_:)`` reads them.
    public static let walletColumns = """
        txid, output_index, value, script_pub_key, key_family, key_index, spent_by, confirmed_height, spend_height,
        spend_from_chain, is_coinbase
        """

    /// How many columns ``serverColumns`` has.
    public static let serverColumnCount = 13
    /// How many columns ``clientColumns`` has.
    public static let clientColumnCount = 14
    /// How many columns ``walletColumns`` has.
    public static let walletColumnCount = 11

    /// A server channel from a row of ``serverColumns``.
    public static func server<Row: StoredRowReading>(_ row: Row) throws(StoreError) -> ServerChannelRecord {
        var fields = row
        let txid = try fields.hash(0, "contract_txid")
        fields.key = txid.displayHex
        let contract = try fields.transaction(2, "contract")
        try checkTxid(txid, contract, fields)
        return ServerChannelRecord(
            version: try fields.version(1, "version"), contract: contract,
            channelValue: try fields.amount(3, "channel_value"),
            serverKeyIndex: try fields.uint32(4, "server_key_index"),
            serverPublicKey: try fields.publicKey(5, "server_public_key"),
            clientPublicKey: try fields.publicKey(6, "client_public_key"),
            clientOutputScript: try fields.script(7, "client_output_script"), expiry: try fields.time(8, "expiry"),
            bestValueToServer: try fields.amount(9, "best_value_to_server"),
            bestSignature: try fields.bytes(10, "best_signature"),
            state: try fields.state(11, "state", as: ServerChannelRecord.State.self),
            settlement: try fields.optionalTransaction(12, "settlement"))
    }

    /// A client channel from a row of ``clientColumns``.
    public static func client<Row: StoredRowReading>(_ row: Row) throws(StoreError) -> ClientChannelRecord {
        var fields = row
        let txid = try fields.hash(0, "contract_txid")
        fields.key = txid.displayHex
        let contract = try fields.transaction(3, "contract")
        try checkTxid(txid, contract, fields)
        return ClientChannelRecord(
            version: try fields.version(1, "version"), serverID: try fields.text(2, "server_id"), contract: contract,
            channelValue: try fields.amount(4, "channel_value"), refund: try fields.transaction(5, "refund"),
            clientKeyIndex: try fields.uint32(6, "client_key_index"),
            clientPublicKey: try fields.publicKey(7, "client_public_key"),
            serverPublicKey: try fields.publicKey(8, "server_public_key"), expiry: try fields.time(9, "expiry"),
            valueLeft: try fields.amount(10, "value_left"), minPayment: try fields.amount(11, "min_payment"),
            state: try fields.state(12, "state", as: ClientChannelRecord.State.self),
            settlement: try fields.optionalTransaction(13, "settlement"))
    }

    /// A wallet output from a row of ``walletColumns``.
    public static func walletOutput<Row: StoredRowReading>(_ row: Row) throws(StoreError) -> WalletOutput {
        var fields = row
        let txid = try fields.hash(0, "txid")
        let index = try fields.uint32(1, "output_index")
        fields.key = "\(txid.displayHex):\(index)"
        return WalletOutput(
            outpoint: OutPoint(txid: txid, index: index), value: try fields.amount(2, "value"),
            scriptPubKey: try fields.script(3, "script_pub_key"), keyFamily: try fields.keyFamily(4, "key_family"),
            keyIndex: try fields.uint32(5, "key_index"), spentBy: try fields.optionalHash(6, "spent_by"),
            confirmedHeight: try fields.optionalHeight(7, "confirmed_height"),
            spendHeight: try fields.optionalHeight(8, "spend_height"),
            spendLearntFromChain: try fields.flag(9, "spend_from_chain"), isCoinbase: try fields.flag(10, "is_coinbase")
        )
    }

    private static func checkTxid<Row: StoredRowReading>(_ txid: Hash256, _ contract: Transaction, _ fields: Row)
        throws(StoreError)
    {
        guard contract.txid == txid else {
            throw fields.corrupt("contract", "has txid \(contract.txid.displayHex), not the row's")
        }
    }
}
