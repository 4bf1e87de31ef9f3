/// The statements the writer runs, each prepared once per connection (GRDB's statement cache)
/// and looked up once per batch.
///
/// A NOT NULL blob that may legitimately be empty is bound through `COALESCE(?, x'')`: GRDB
/// binds an empty `Data` as NULL.
///
/// Visible to tests (`@_spi(StoreTesting)`), which check the query plans of these statements.
@_spi(StoreTesting)
public enum SQLiteWriteSQL: Int, CaseIterable, Sendable {
    case serverUpsert
    case serverPayment
    case serverState
    case clientUpsert
    case clientPayment
    case clientState
    case walletAdd
    case walletSpend
    case walletAbandon
    case walletDropOutputsOf
    case walletConfirm
    case walletSpendSeen
    case walletSpendUnseen
    case walletRemove
    case keyIndexRead
    case keyIndexWrite
    case pruneServer
    case pruneClient
    case chainCursor
    case chainWatchOutpoint
    case chainWatchTransaction
    case chainWatchScript
    case chainOutpointSpend
    case chainTransactionBlock

    /// The statement's SQL.
    public var sql: String {
        switch self {
        case .serverUpsert:
            return """
                INSERT INTO server_channels (
                    contract_txid, version, contract, channel_value, server_key_index, server_public_key,
                    client_public_key, client_output_script, expiry, best_value_to_server, best_signature, state,
                    settlement, ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, x''), ?, ?, COALESCE(?, x''), ?, ?, ?)
                ON CONFLICT (contract_txid) DO UPDATE SET
                    version = excluded.version, contract = excluded.contract,
                    channel_value = excluded.channel_value, server_key_index = excluded.server_key_index,
                    server_public_key = excluded.server_public_key, client_public_key = excluded.client_public_key,
                    client_output_script = excluded.client_output_script, expiry = excluded.expiry,
                    best_value_to_server = excluded.best_value_to_server, best_signature = excluded.best_signature,
                    state = excluded.state, settlement = excluded.settlement,
                    ended_at = CASE WHEN excluded.ended_at IS NULL THEN NULL
                        ELSE COALESCE(server_channels.ended_at, excluded.ended_at) END
                """
        case .serverPayment:
            return """
                UPDATE server_channels SET best_value_to_server = ?, best_signature = COALESCE(?, x'')
                WHERE contract_txid = ?
                """
        case .serverState:
            return """
                UPDATE server_channels SET state = ?, settlement = COALESCE(?, settlement),
                    ended_at = CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(ended_at, ?) END
                WHERE contract_txid = ?
                """
        case .clientUpsert:
            return """
                INSERT INTO client_channels (
                    contract_txid, version, server_id, contract, channel_value, refund, client_key_index,
                    client_public_key, server_public_key, expiry, value_left, min_payment, state, settlement,
                    ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (contract_txid) DO UPDATE SET
                    version = excluded.version, server_id = excluded.server_id, contract = excluded.contract,
                    channel_value = excluded.channel_value, refund = excluded.refund,
                    client_key_index = excluded.client_key_index, client_public_key = excluded.client_public_key,
                    server_public_key = excluded.server_public_key, expiry = excluded.expiry,
                    value_left = excluded.value_left, min_payment = excluded.min_payment, state = excluded.state,
                    settlement = excluded.settlement,
                    ended_at = CASE WHEN excluded.ended_at IS NULL THEN NULL
                        ELSE COALESCE(client_channels.ended_at, excluded.ended_at) END
                """
        case .clientPayment:
            return "UPDATE client_channels SET value_left = ? WHERE contract_txid = ?"
        case .clientState:
            return """
                UPDATE client_channels SET state = ?, settlement = COALESCE(?, settlement),
                    ended_at = CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(ended_at, ?) END
                WHERE contract_txid = ?
                """
        case .walletAdd:
            return """
                INSERT INTO wallet_outputs (
                    txid, output_index, value, script_pub_key, key_family, key_index, spent_by, confirmed_height,
                    spend_height, spend_from_chain, is_coinbase)
                VALUES (?, ?, ?, COALESCE(?, x''), ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (txid, output_index) DO NOTHING
                """
        case .walletSpend:
            return "UPDATE wallet_outputs SET spent_by = ? WHERE txid = ? AND output_index = ?"
        case .walletAbandon:
            return "UPDATE wallet_outputs SET spent_by = NULL WHERE spent_by = ?"
        case .walletDropOutputsOf:
            return "DELETE FROM wallet_outputs WHERE txid = ?"
        case .walletConfirm:
            return "UPDATE wallet_outputs SET confirmed_height = ? WHERE txid = ? AND output_index = ?"
        case .walletSpendSeen:
            // Every expression reads the row as it was before the update.
            return """
                UPDATE wallet_outputs SET
                    spend_from_chain = CASE WHEN spent_by IS ? THEN spend_from_chain ELSE 1 END,
                    spent_by = ?, spend_height = ?
                WHERE txid = ? AND output_index = ?
                """
        case .walletSpendUnseen:
            return """
                UPDATE wallet_outputs SET
                    spent_by = CASE WHEN spend_from_chain = 1 THEN NULL ELSE spent_by END,
                    spend_from_chain = 0, spend_height = NULL
                WHERE txid = ? AND output_index = ?
                """
        case .walletRemove:
            return "DELETE FROM wallet_outputs WHERE txid = ? AND output_index = ?"
        case .keyIndexRead:
            return "SELECT next_index FROM key_indexes WHERE family = ?"
        case .keyIndexWrite:
            return """
                INSERT INTO key_indexes (family, next_index) VALUES (?, ?)
                ON CONFLICT (family) DO UPDATE SET next_index = excluded.next_index
                """
        case .pruneServer:
            return "DELETE FROM server_channels WHERE ended_at < ?"
        case .pruneClient:
            return "DELETE FROM client_channels WHERE ended_at < ?"
        case .chainCursor:
            return """
                INSERT INTO chain_cursor (id, height, block_hash) VALUES (1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET height = excluded.height, block_hash = excluded.block_hash
                """
        case .chainWatchOutpoint:
            return """
                INSERT INTO chain_watched_outpoints (txid, output_index) VALUES (?, ?)
                ON CONFLICT (txid, output_index) DO NOTHING
                """
        case .chainWatchTransaction:
            return """
                INSERT INTO chain_watched_transactions (txid, own_tx) VALUES (?, ?)
                ON CONFLICT (txid) DO UPDATE SET own_tx = COALESCE(excluded.own_tx, own_tx)
                """
        case .chainWatchScript:
            return
                "INSERT INTO chain_watched_scripts (script) VALUES (COALESCE(?, x'')) ON CONFLICT (script) DO NOTHING"
        case .chainOutpointSpend:
            return """
                UPDATE chain_watched_outpoints SET spending_tx = ?, spent_height = ?, spent_block = ?
                WHERE txid = ? AND output_index = ?
                """
        case .chainTransactionBlock:
            return """
                UPDATE chain_watched_transactions SET block_height = ?, block_hash = ?, left_chain = ?
                WHERE txid = ?
                """
        }
    }
}
