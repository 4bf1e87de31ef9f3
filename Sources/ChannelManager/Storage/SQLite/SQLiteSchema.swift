import GRDB

/// The channel database's schema, as a sequence of GRDB migrations. A migration, once shipped,
/// is never edited: later versions add migrations.
///
/// - `v1`: the first schema: `server_channels`, `client_channels`, `wallet_outputs`,
///   `key_indexes`, and a `store_meta` row naming the file's purpose. No record of when a channel
///   ended, so no pruning.
/// - `v2`: `ended_at` on both channel tables (UNIX seconds, set by the store's clock when a
///   channel reaches an ended state) with partial indexes for pruning, and an index on
///   `client_channels(server_id, state)` for reopening a server's channels. Channels that had
///   already ended when a v1 file is upgraded get the time of the upgrade.
///
/// - `v3`: the payment journal's identity and how far it has been folded (`store_meta` rows).
/// - `v4`: the chain follower's index: `chain_cursor` (one row), `chain_watched_outpoints` (with
///   the spending transaction, its block's height and hash), `chain_watched_transactions` (our
///   own transaction to rebroadcast, the block, whether a reorg took it off the chain) and
///   `chain_watched_scripts`.
/// - `v5-wallet-chain`: where the chain put each wallet output: `confirmed_height` (the block
///   holding the transaction creating it), `spend_height` (the block holding its spender) and
///   `spend_from_chain` (1 when the spend was seen in a block rather than signed by the wallet).
///   Outputs of an upgraded file are unconfirmed until the wallet sees their blocks.
/// - `v6-wallet-coinbase`: `is_coinbase` on `wallet_outputs` (1 for an output of a coinbase
///   transaction, which the wallet spends only once mature). Outputs of an upgraded file are
///   taken as not coinbase.
///
/// The file also carries `PRAGMA application_id` = ``applicationID``, so the store refuses to
/// adopt a database some other program wrote.
@_spi(StoreTesting)
public enum SQLiteSchema {
    /// `PRAGMA application_id` of a channel database: "PYCH".
    public static let applicationID: Int32 = 0x5059_4348
    /// Every migration this version knows, oldest first.
    public static let migrationIdentifiers = ["v1", "v2", "v3", "v4", "v5-wallet-chain", "v6-wallet-coinbase"]

    /// The migrator. `now` (UNIX seconds) stamps channels that had ended before `v2`.
    public static func migrator(now: UInt64) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: v1) }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
            let stamp = Int64(clamping: now)
            try db.execute(
                sql: "UPDATE server_channels SET ended_at = ? WHERE state IN ('settled', 'failed')", arguments: [stamp])
            try db.execute(
                sql: "UPDATE client_channels SET ended_at = ? WHERE state IN ('settled', 'refunded')",
                arguments: [stamp])
        }
        // v3: the payment journal's identity and how far it has been folded. Its rows also
        // keep an older version, which knows nothing of the journal, from opening the file.
        migrator.registerMigration("v3") { db in try db.execute(sql: v3) }
        // v4: the chain follower's index (``ChainIndex``).
        migrator.registerMigration("v4") { db in try db.execute(sql: v4) }
        migrator.registerMigration("v5-wallet-chain") { db in try db.execute(sql: v5WalletChain) }
        migrator.registerMigration("v6-wallet-coinbase") { db in try db.execute(sql: v6WalletCoinbase) }
        return migrator
    }

    // Amounts are INTEGER satoshis; transactions, keys, scripts, signatures and txids (internal
    // byte order) are BLOBs; states are their TEXT names; UNIX times and key indexes are
    // INTEGERs (a time above 2^63 is stored as its two's-complement bit pattern).
    private static let v1 = """
        PRAGMA application_id = \(applicationID);

        CREATE TABLE store_meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        );
        INSERT INTO store_meta (key, value) VALUES ('purpose', 'paychan channel store');

        CREATE TABLE server_channels (
            contract_txid BLOB PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            contract BLOB NOT NULL,
            channel_value INTEGER NOT NULL,
            server_key_index INTEGER NOT NULL,
            server_public_key BLOB NOT NULL,
            client_public_key BLOB NOT NULL,
            client_output_script BLOB NOT NULL,
            expiry INTEGER NOT NULL,
            best_value_to_server INTEGER NOT NULL,
            best_signature BLOB NOT NULL,
            state TEXT NOT NULL,
            settlement BLOB
        );
        CREATE INDEX server_channels_state ON server_channels (state);

        CREATE TABLE client_channels (
            contract_txid BLOB PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            server_id TEXT NOT NULL,
            contract BLOB NOT NULL,
            channel_value INTEGER NOT NULL,
            refund BLOB NOT NULL,
            client_key_index INTEGER NOT NULL,
            client_public_key BLOB NOT NULL,
            server_public_key BLOB NOT NULL,
            expiry INTEGER NOT NULL,
            value_left INTEGER NOT NULL,
            min_payment INTEGER NOT NULL,
            state TEXT NOT NULL,
            settlement BLOB
        );
        CREATE INDEX client_channels_state ON client_channels (state);

        CREATE TABLE wallet_outputs (
            txid BLOB NOT NULL,
            output_index INTEGER NOT NULL,
            value INTEGER NOT NULL,
            script_pub_key BLOB NOT NULL,
            key_family INTEGER NOT NULL,
            key_index INTEGER NOT NULL,
            spent_by BLOB,
            PRIMARY KEY (txid, output_index)
        );
        CREATE INDEX wallet_outputs_spent_by ON wallet_outputs (spent_by) WHERE spent_by IS NOT NULL;

        CREATE TABLE key_indexes (
            family INTEGER PRIMARY KEY NOT NULL,
            next_index INTEGER NOT NULL
        );
        """

    private static let v2 = """
        ALTER TABLE server_channels ADD COLUMN ended_at INTEGER;
        CREATE INDEX server_channels_ended_at ON server_channels (ended_at) WHERE ended_at IS NOT NULL;
        ALTER TABLE client_channels ADD COLUMN ended_at INTEGER;
        CREATE INDEX client_channels_ended_at ON client_channels (ended_at) WHERE ended_at IS NOT NULL;
        CREATE INDEX client_channels_server_state ON client_channels (server_id, state);
        """

    private static let v3 = """
        INSERT INTO store_meta (key, value) VALUES ('payment_journal_id', lower(hex(randomblob(16))));
        INSERT INTO store_meta (key, value) VALUES ('payment_journal_folded', '0');
        """

    private static let v4 = """
        CREATE TABLE chain_cursor (
            id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
            height INTEGER NOT NULL,
            block_hash BLOB NOT NULL
        );

        CREATE TABLE chain_watched_outpoints (
            txid BLOB NOT NULL,
            output_index INTEGER NOT NULL,
            spending_tx BLOB,
            spent_height INTEGER,
            spent_block BLOB,
            PRIMARY KEY (txid, output_index)
        );

        CREATE TABLE chain_watched_transactions (
            txid BLOB PRIMARY KEY NOT NULL,
            own_tx BLOB,
            block_height INTEGER,
            block_hash BLOB,
            left_chain INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE chain_watched_scripts (
            script BLOB PRIMARY KEY NOT NULL
        );
        """

    private static let v5WalletChain = """
        ALTER TABLE wallet_outputs ADD COLUMN confirmed_height INTEGER;
        ALTER TABLE wallet_outputs ADD COLUMN spend_height INTEGER;
        ALTER TABLE wallet_outputs ADD COLUMN spend_from_chain INTEGER NOT NULL DEFAULT 0;
        """

    private static let v6WalletCoinbase = """
        ALTER TABLE wallet_outputs ADD COLUMN is_coinbase INTEGER NOT NULL DEFAULT 0;
        """
}
