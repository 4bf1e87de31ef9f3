import BitcoinPrimitives
import ChannelStateMachine
import GRDB

/// The column lists the reads select, and the decoding of their rows into records.
enum SQLiteRecordDecoding {
    static let serverColumns = """
        contract_txid, version, contract, channel_value, server_key_index, server_public_key, client_public_key,
        client_output_script, expiry, best_value_to_server, best_signature, state, settlement
        """
    static let clientColumns = """
        contract_txid, version, server_id, contract, channel_value, refund, client_key_index, client_public_key,
        server_public_key, expiry, value_left, min_payment, state, settlement
        """
    static let walletColumns = """
        txid, output_index, value, script_pub_key, key_family, key_index, spent_by, confirmed_height, spend_height,
        spend_from_chain
        """

    static func server(_ row: Row) throws(StoreError) -> ServerChannelRecord {
        var fields = try SQLiteRowDecoder(row, table: "server_channels", columnCount: 13)
        let txid = try fields.hash(0, "contract_txid")
        fields.identify(as: txid.displayHex)
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
            bestSignature: try fields.blob(10, "best_signature"),
            state: try fields.state(11, "state", as: ServerChannelRecord.State.self),
            settlement: try fields.optionalTransaction(12, "settlement"))
    }

    static func client(_ row: Row) throws(StoreError) -> ClientChannelRecord {
        var fields = try SQLiteRowDecoder(row, table: "client_channels", columnCount: 14)
        let txid = try fields.hash(0, "contract_txid")
        fields.identify(as: txid.displayHex)
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

    static func walletOutput(_ row: Row) throws(StoreError) -> WalletOutput {
        var fields = try SQLiteRowDecoder(row, table: "wallet_outputs", columnCount: 10)
        let txid = try fields.hash(0, "txid")
        let index = try fields.uint32(1, "output_index")
        fields.identify(as: "\(txid.displayHex):\(index)")
        let familyNumber = try fields.uint32(4, "key_family")
        guard let family = KeyFamily(rawValue: familyNumber) else {
            throw fields.corrupt("key_family", "\(familyNumber) is not a key family")
        }
        return WalletOutput(
            outpoint: OutPoint(txid: txid, index: index), value: try fields.amount(2, "value"),
            scriptPubKey: try fields.script(3, "script_pub_key"), keyFamily: family,
            keyIndex: try fields.uint32(5, "key_index"), spentBy: try fields.optionalHash(6, "spent_by"),
            confirmedHeight: try fields.optionalHeight(7, "confirmed_height"),
            spendHeight: try fields.optionalHeight(8, "spend_height"),
            spendLearntFromChain: try fields.flag(9, "spend_from_chain"))
    }

    private static func checkTxid(_ txid: Hash256, _ contract: Transaction, _ fields: SQLiteRowDecoder)
        throws(StoreError)
    {
        guard contract.txid == txid else {
            throw fields.corrupt("contract", "has txid \(contract.txid.displayHex), not the row's")
        }
    }
}
