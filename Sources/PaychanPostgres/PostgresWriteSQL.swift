import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import NIOCore
import PostgresNIO

/// The statements the writer runs, each built here and nowhere else. Byte strings are bound as
/// `bytea` (txids in internal byte order), amounts, indexes and times as `bigint`.
///
/// Every statement that changes a channel row names the row through ``channelRow(_:_:)``; a
/// condition that every channel write must meet inside its transaction (such as a lease's
/// fencing token, for many nodes on one database) is one more term there, and a write that
/// fails it changes no row, as a write for a missing channel does.
enum PostgresWriteSQL {
    /// The condition that selects one channel row: `alias.contract_txid = txid`.
    static func channelRow(_ alias: String, _ txid: String) -> String {
        "\(alias).contract_txid = \(txid)"
    }

    /// Payments alone, server and client, in one statement: each list holds one entry per
    /// channel (the last payment of the batch). Returns one row per channel updated:
    /// (0 for a server channel or 1 for a client channel, contract txid).
    static func payments(server: [(Hash256, Amount, [UInt8])], client: [(Hash256, Amount)]) -> PostgresQuery {
        let serverTxids = server.map { $0.0.buffer }
        let serverValues = server.map { $0.1.satoshis }
        let serverSignatures = server.map { ByteBuffer(bytes: $0.2) }
        let clientTxids = client.map { $0.0.buffer }
        let clientValues = client.map { $0.1.satoshis }
        return """
            WITH paid_server AS (
                UPDATE server_channels AS c SET best_value_to_server = p.value, best_signature = p.signature
                FROM unnest(\(serverTxids)::bytea[], \(serverValues)::bigint[], \(serverSignatures)::bytea[])
                    AS p(contract_txid, value, signature)
                WHERE \(unescaped: channelRow("c", "p.contract_txid"))
                RETURNING c.contract_txid),
            paid_client AS (
                UPDATE client_channels AS c SET value_left = p.value
                FROM unnest(\(clientTxids)::bytea[], \(clientValues)::bigint[]) AS p(contract_txid, value)
                WHERE \(unescaped: channelRow("c", "p.contract_txid"))
                RETURNING c.contract_txid)
            SELECT 0, contract_txid FROM paid_server UNION ALL SELECT 1, contract_txid FROM paid_client
            """
    }

    static func serverUpsert(_ record: ServerChannelRecord, endedAt: Int64?) -> PostgresQuery {
        """
        INSERT INTO server_channels AS c (
            contract_txid, version, contract, channel_value, server_key_index, server_public_key,
            client_public_key, client_output_script, expiry, best_value_to_server, best_signature, state,
            settlement, ended_at)
        VALUES (
            \(record.contractTxid.buffer), \(Int64(record.version.rawValue)), \(record.contract.serialized.buffer),
            \(record.channelValue.satoshis), \(Int64(record.serverKeyIndex)), \(record.serverPublicKey.bytes.buffer),
            \(record.clientPublicKey.bytes.buffer), \(record.clientOutputScript.bytes.buffer),
            \(Int64(bitPattern: record.expiry)), \(record.bestValueToServer.satoshis),
            \(record.bestSignature.buffer), \(record.state.rawValue), \(record.settlement?.serialized.buffer)::bytea,
            \(endedAt)::bigint)
        ON CONFLICT (contract_txid) DO UPDATE SET
            version = excluded.version, contract = excluded.contract, channel_value = excluded.channel_value,
            server_key_index = excluded.server_key_index, server_public_key = excluded.server_public_key,
            client_public_key = excluded.client_public_key, client_output_script = excluded.client_output_script,
            expiry = excluded.expiry, best_value_to_server = excluded.best_value_to_server,
            best_signature = excluded.best_signature, state = excluded.state, settlement = excluded.settlement,
            ended_at = CASE WHEN excluded.ended_at IS NULL THEN NULL ELSE COALESCE(c.ended_at, excluded.ended_at) END
        WHERE \(unescaped: channelRow("c", "excluded.contract_txid"))
        """
    }

    static func clientUpsert(_ record: ClientChannelRecord, endedAt: Int64?) -> PostgresQuery {
        """
        INSERT INTO client_channels AS c (
            contract_txid, version, server_id, contract, channel_value, refund, client_key_index,
            client_public_key, server_public_key, expiry, value_left, min_payment, state, settlement, ended_at)
        VALUES (
            \(record.contractTxid.buffer), \(Int64(record.version.rawValue)), \(record.serverID),
            \(record.contract.serialized.buffer), \(record.channelValue.satoshis), \(record.refund.serialized.buffer),
            \(Int64(record.clientKeyIndex)), \(record.clientPublicKey.bytes.buffer),
            \(record.serverPublicKey.bytes.buffer), \(Int64(bitPattern: record.expiry)), \(record.valueLeft.satoshis),
            \(record.minPayment.satoshis), \(record.state.rawValue), \(record.settlement?.serialized.buffer)::bytea,
            \(endedAt)::bigint)
        ON CONFLICT (contract_txid) DO UPDATE SET
            version = excluded.version, server_id = excluded.server_id, contract = excluded.contract,
            channel_value = excluded.channel_value, refund = excluded.refund,
            client_key_index = excluded.client_key_index, client_public_key = excluded.client_public_key,
            server_public_key = excluded.server_public_key, expiry = excluded.expiry,
            value_left = excluded.value_left, min_payment = excluded.min_payment, state = excluded.state,
            settlement = excluded.settlement,
            ended_at = CASE WHEN excluded.ended_at IS NULL THEN NULL ELSE COALESCE(c.ended_at, excluded.ended_at) END
        WHERE \(unescaped: channelRow("c", "excluded.contract_txid"))
        """
    }

    static func serverState(
        _ txid: Hash256, _ state: ServerChannelRecord.State, _ settlement: Transaction?, endedAt: Int64?
    ) -> PostgresQuery {
        stateUpdate("server_channels", txid, state.rawValue, settlement, endedAt: endedAt)
    }

    static func clientState(
        _ txid: Hash256, _ state: ClientChannelRecord.State, _ settlement: Transaction?, endedAt: Int64?
    ) -> PostgresQuery {
        stateUpdate("client_channels", txid, state.rawValue, settlement, endedAt: endedAt)
    }

    /// A channel's new state (and settlement, when given; the stored one stays otherwise), with
    /// the time it ended: kept when it had ended already, forgotten when it no longer has.
    private static func stateUpdate(
        _ table: String, _ txid: Hash256, _ state: String, _ settlement: Transaction?, endedAt: Int64?
    ) -> PostgresQuery {
        """
        UPDATE \(unescaped: table) AS c SET state = \(state),
            settlement = COALESCE(\(settlement?.serialized.buffer)::bytea, c.settlement),
            ended_at = CASE WHEN \(endedAt)::bigint IS NULL THEN NULL ELSE COALESCE(c.ended_at, \(endedAt)::bigint) END
        FROM (SELECT \(txid.buffer)::bytea AS contract_txid) AS p
        WHERE \(unescaped: channelRow("c", "p.contract_txid"))
        """
    }

    static func walletAdd(_ output: WalletOutput) -> PostgresQuery {
        """
        INSERT INTO wallet_outputs (
            txid, output_index, value, script_pub_key, key_family, key_index, spent_by, confirmed_height,
            spend_height, spend_from_chain, is_coinbase)
        VALUES (
            \(output.outpoint.txid.buffer), \(Int64(output.outpoint.index)), \(output.value.satoshis),
            \(output.scriptPubKey.bytes.buffer), \(Int64(output.keyFamily.rawValue)), \(Int64(output.keyIndex)),
            \(output.spentBy?.buffer)::bytea, \(output.confirmedHeight.map { Int64($0) })::bigint,
            \(output.spendHeight.map { Int64($0) })::bigint, \(output.spendLearntFromChain ? Int64(1) : 0),
            \(output.isCoinbase ? Int64(1) : 0))
        ON CONFLICT (txid, output_index) DO NOTHING
        """
    }

    static func walletSpend(_ outpoint: OutPoint, by spender: Hash256) -> PostgresQuery {
        """
        UPDATE wallet_outputs SET spent_by = \(spender.buffer)
        WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))
        """
    }

    static func walletAbandon(_ spender: Hash256) -> PostgresQuery {
        "UPDATE wallet_outputs SET spent_by = NULL WHERE spent_by = \(spender.buffer)"
    }

    /// The abandoned transaction's own outputs (its change) will never exist.
    static func walletDropOutputs(of spender: Hash256) -> PostgresQuery {
        "DELETE FROM wallet_outputs WHERE txid = \(spender.buffer)"
    }

    static func walletConfirmed(_ outpoint: OutPoint, height: Int?) -> PostgresQuery {
        """
        UPDATE wallet_outputs SET confirmed_height = \(height.map { Int64($0) })::bigint
        WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))
        """
    }

    /// A spend the chain shows; noted as learnt from the chain unless the wallet signed that
    /// very spend (every expression reads the row as it was).
    static func walletSpendSeen(_ outpoint: OutPoint, by spender: Hash256, height: Int?) -> PostgresQuery {
        """
        UPDATE wallet_outputs SET
            spend_from_chain = CASE WHEN spent_by IS NOT DISTINCT FROM \(spender.buffer) THEN spend_from_chain ELSE 1 END,
            spent_by = \(spender.buffer), spend_height = \(height.map { Int64($0) })::bigint
        WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))
        """
    }

    static func walletSpendUnseen(_ outpoint: OutPoint) -> PostgresQuery {
        """
        UPDATE wallet_outputs SET
            spent_by = CASE WHEN spend_from_chain = 1 THEN NULL ELSE spent_by END,
            spend_from_chain = 0, spend_height = NULL
        WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))
        """
    }

    static func walletRemove(_ outpoint: OutPoint) -> PostgresQuery {
        "DELETE FROM wallet_outputs WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))"
    }

    // MARK: Chain index

    static func chainCursor(_ position: BlockPosition) -> PostgresQuery {
        """
        INSERT INTO chain_cursor (id, height, block_hash) VALUES (1, \(Int64(position.height)), \(position.hash.buffer))
        ON CONFLICT (id) DO UPDATE SET height = excluded.height, block_hash = excluded.block_hash
        """
    }

    static func chainWatchOutpoint(_ outpoint: OutPoint) -> PostgresQuery {
        """
        INSERT INTO chain_watched_outpoints (txid, output_index)
        VALUES (\(outpoint.txid.buffer), \(Int64(outpoint.index)))
        ON CONFLICT (txid, output_index) DO NOTHING
        """
    }

    static func chainWatchTransaction(_ txid: Hash256, own: Transaction?) -> PostgresQuery {
        """
        INSERT INTO chain_watched_transactions AS t (txid, own_tx)
        VALUES (\(txid.buffer), \(own?.serialized.buffer)::bytea)
        ON CONFLICT (txid) DO UPDATE SET own_tx = COALESCE(excluded.own_tx, t.own_tx)
        """
    }

    static func chainWatchScript(_ script: Script) -> PostgresQuery {
        "INSERT INTO chain_watched_scripts (script) VALUES (\(script.bytes.buffer)) ON CONFLICT (script) DO NOTHING"
    }

    static func chainOutpointSpend(_ outpoint: OutPoint, _ spend: ChainSpend?) -> PostgresQuery {
        """
        UPDATE chain_watched_outpoints SET spending_tx = \(spend?.transaction.serialized.buffer)::bytea,
            spent_height = \(spend.map { Int64($0.block.height) })::bigint, spent_block = \(spend?.block.hash.buffer)::bytea
        WHERE txid = \(outpoint.txid.buffer) AND output_index = \(Int64(outpoint.index))
        """
    }

    static func chainTransactionBlock(_ txid: Hash256, _ block: BlockPosition?, leftChain: Bool) -> PostgresQuery {
        """
        UPDATE chain_watched_transactions SET block_height = \(block.map { Int64($0.height) })::bigint,
            block_hash = \(block?.hash.buffer)::bytea, left_chain = \(leftChain ? Int64(1) : 0)
        WHERE txid = \(txid.buffer)
        """
    }

    /// Reserves the next index of a family in one statement (so that stores on other nodes
    /// sharing the database never get the same index): returns the reserved index, or no row
    /// when the stored counter is exhausted or out of range (then nothing changed).
    static func reserveKeyIndex(_ family: KeyFamily) -> PostgresQuery {
        let limit = Int64(KeyFamily.indexLimit)
        return """
            INSERT INTO key_indexes AS k (family, next_index) VALUES (\(Int64(family.rawValue)), 1)
            ON CONFLICT (family) DO UPDATE SET next_index = k.next_index + 1
            WHERE k.next_index >= 0 AND k.next_index < \(limit)
            RETURNING k.next_index - 1
            """
    }

    static func keyIndex(_ family: KeyFamily) -> PostgresQuery {
        "SELECT next_index FROM key_indexes WHERE family = \(Int64(family.rawValue))"
    }

    static func prune(_ table: String, endedBefore cutoff: Int64) -> PostgresQuery {
        "DELETE FROM \(unescaped: table) WHERE ended_at < \(cutoff)"
    }
}

extension Hash256 {
    /// The hash, internal byte order, as a `bytea` value.
    var buffer: ByteBuffer { ByteBuffer(bytes: internalBytes) }
}

extension [UInt8] {
    /// The bytes as a `bytea` value.
    var buffer: ByteBuffer { ByteBuffer(bytes: self) }
}
