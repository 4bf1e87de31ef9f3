import ChannelManager
import Logging
import PostgresNIO

/// The store's tables, as numbered migrations recorded in a `schema_version` table (one row per
/// migration applied). A migration, once shipped, is never edited: later versions add
/// migrations. Opening a store migrates its schema under an advisory lock, in one transaction,
/// so that many nodes opening at once apply each migration once.
///
/// - `1`: `server_channels`, `client_channels`, `wallet_outputs` and `key_indexes`, with the
///   columns of ``StoredRecordDecoding``. Amounts, indexes and UNIX times are `bigint` (a time
///   from 2^63 up is stored as its two's-complement bit pattern); transactions, keys, scripts,
///   signatures and txids (internal byte order) are `bytea`; states are their `text` names.
/// - `2`: `ended_at` on both channel tables (set by the store's clock when a channel ends, for
///   pruning; channels that had already ended get the time of the upgrade), the indexes the
///   reads use, and a fill factor that leaves room on each page for a payment's new row version
///   (a HOT update: no index is touched).
/// - `3`: where the chain put each wallet output (`confirmed_height`, `spend_height`,
///   `spend_from_chain` 0 or 1), and the chain follower's index (`chain_cursor`,
///   `chain_watched_outpoints`, `chain_watched_transactions`, `chain_watched_scripts`: the
///   columns of ``StoredChainIndexDecoding``). Outputs of an upgraded schema are unconfirmed
///   until the wallet sees their blocks.
/// - `4`: channel claims for many nodes on one database (`channel_claims`, the token sequence
///   `channel_claim_tokens`, the grant log `channel_claim_log`, the write counts
///   `channel_claim_writes`, and `server_channels.last_token`): see `PostgresClaimSQL`.
/// - `5`: `wallet_outputs.is_coinbase` (1 for an output of a coinbase transaction, which the
///   wallet spends only once mature). Outputs of an upgraded schema are taken as not coinbase.
///
/// No private key is ever stored: keys are derived from a seed the database never sees.
@_spi(StoreTesting)
public enum PostgresSchema {
    /// The newest version this code knows.
    public static let currentVersion = 5
    /// What the first row of `schema_version` says, naming the schema's owner.
    public static let purpose = "paychan channel store"

    /// Version 1, as shipped: one statement per element.
    public static let v1: [String] = [
        """
        CREATE TABLE server_channels (
            contract_txid bytea PRIMARY KEY,
            version bigint NOT NULL,
            contract bytea NOT NULL,
            channel_value bigint NOT NULL,
            server_key_index bigint NOT NULL,
            server_public_key bytea NOT NULL,
            client_public_key bytea NOT NULL,
            client_output_script bytea NOT NULL,
            expiry bigint NOT NULL,
            best_value_to_server bigint NOT NULL,
            best_signature bytea NOT NULL,
            state text NOT NULL,
            settlement bytea
        )
        """,
        """
        CREATE TABLE client_channels (
            contract_txid bytea PRIMARY KEY,
            version bigint NOT NULL,
            server_id text NOT NULL,
            contract bytea NOT NULL,
            channel_value bigint NOT NULL,
            refund bytea NOT NULL,
            client_key_index bigint NOT NULL,
            client_public_key bytea NOT NULL,
            server_public_key bytea NOT NULL,
            expiry bigint NOT NULL,
            value_left bigint NOT NULL,
            min_payment bigint NOT NULL,
            state text NOT NULL,
            settlement bytea
        )
        """,
        """
        CREATE TABLE wallet_outputs (
            txid bytea NOT NULL,
            output_index bigint NOT NULL,
            value bigint NOT NULL,
            script_pub_key bytea NOT NULL,
            key_family bigint NOT NULL,
            key_index bigint NOT NULL,
            spent_by bytea,
            PRIMARY KEY (txid, output_index)
        )
        """,
        "CREATE INDEX wallet_outputs_spent_by ON wallet_outputs (spent_by) WHERE spent_by IS NOT NULL",
        """
        CREATE TABLE key_indexes (
            family bigint PRIMARY KEY,
            next_index bigint NOT NULL
        )
        """,
    ]

    /// Version 2. `$1` of the two updates is the time of the upgrade.
    static let v2: [String] = [
        "ALTER TABLE server_channels ADD COLUMN ended_at bigint",
        "ALTER TABLE client_channels ADD COLUMN ended_at bigint",
        "UPDATE server_channels SET ended_at = $1 WHERE state IN ('settled', 'failed')",
        "UPDATE client_channels SET ended_at = $1 WHERE state IN ('settled', 'refunded')",
        "CREATE INDEX server_channels_state_expiry ON server_channels (state, expiry)",
        "CREATE INDEX server_channels_ended_at ON server_channels (ended_at) WHERE ended_at IS NOT NULL",
        "CREATE INDEX client_channels_server_state ON client_channels (server_id, state)",
        "CREATE INDEX client_channels_ended_at ON client_channels (ended_at) WHERE ended_at IS NOT NULL",
        "ALTER TABLE server_channels SET (fillfactor = 70)",
        "ALTER TABLE client_channels SET (fillfactor = 70)",
    ]

    /// Version 3.
    static let v3: [String] = [
        "ALTER TABLE wallet_outputs ADD COLUMN confirmed_height bigint",
        "ALTER TABLE wallet_outputs ADD COLUMN spend_height bigint",
        "ALTER TABLE wallet_outputs ADD COLUMN spend_from_chain bigint NOT NULL DEFAULT 0",
        """
        CREATE TABLE chain_cursor (
            id integer PRIMARY KEY CHECK (id = 1),
            height bigint NOT NULL,
            block_hash bytea NOT NULL
        )
        """,
        """
        CREATE TABLE chain_watched_outpoints (
            txid bytea NOT NULL,
            output_index bigint NOT NULL,
            spending_tx bytea,
            spent_height bigint,
            spent_block bytea,
            PRIMARY KEY (txid, output_index)
        )
        """,
        """
        CREATE TABLE chain_watched_transactions (
            txid bytea PRIMARY KEY,
            own_tx bytea,
            block_height bigint,
            block_hash bytea,
            left_chain bigint NOT NULL DEFAULT 0
        )
        """,
        "CREATE TABLE chain_watched_scripts (script bytea PRIMARY KEY)",
    ]

    /// Version 5.
    static let v5: [String] = [
        "ALTER TABLE wallet_outputs ADD COLUMN is_coinbase bigint NOT NULL DEFAULT 0"
    ]

    /// The migrations, oldest first: version, description, statements.
    static let migrations: [(version: Int, description: String, statements: [String])] = [
        (1, purpose, v1),
        (2, "ended_at for pruning; read indexes; room for HOT payment updates", v2),
        (3, "wallet outputs' chain positions; the chain follower's index", v3),
        (4, "channel claims: leases with fencing tokens for many nodes", PostgresClaimSQL.schema),
        (5, "wallet outputs of coinbase transactions", v5),
    ]

    /// Creates the schema if needed and brings it to ``currentVersion``, in one transaction
    /// under an advisory lock. `now` (UNIX seconds) stamps channels that had ended before v2.
    /// - Throws: `.unsupportedSchema` for a schema from a newer version or holding tables of
    ///   another program; `.io` for a database error.
    static func migrate(_ connection: PostgresConnection, schema: String, now: UInt64, logger: Logger)
        async throws(StoreError)
    {
        let run = PostgresStatementRunner(connection: connection, logger: logger)
        try await run.execute("BEGIN")
        do throws(StoreError) {
            try await run.execute(
                PostgresQuery(
                    unsafeSQL: "SELECT pg_advisory_xact_lock(hashtext($1))", binds: binds("paychan:" + schema)))
            try await run.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoted(schema))"))
            let current = try await installedVersion(run, schema: schema)
            guard current <= currentVersion else {
                throw StoreError(
                    .unsupportedSchema,
                    "schema \(schema) is at version \(current); this version of paychan knows up to \(currentVersion)")
            }
            for migration in migrations where migration.version > current {
                for statement in migration.statements {
                    let parameters = statement.contains("$1") ? binds(Int64(clamping: now)) : PostgresBindings()
                    try await run.execute(PostgresQuery(unsafeSQL: statement, binds: parameters))
                }
                try await run.execute(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO schema_version (version, description) VALUES ($1, $2)",
                        binds: binds(Int64(migration.version), migration.description)))
                logger.info("migrated schema \(schema) to version \(migration.version)")
            }
            try await run.execute("COMMIT")
        } catch {
            _ = try? await run.execute("ROLLBACK")
            throw error
        }
    }

    /// The version the schema is at (0 when new); creates `schema_version` in a new schema.
    private static func installedVersion(_ run: PostgresStatementRunner, schema: String) async throws(StoreError)
        -> Int
    {
        let hasTable = try await run.rows(
            PostgresQuery(
                unsafeSQL: "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_version'",
                binds: binds(schema)))
        if hasTable.isEmpty {
            let other = try await run.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT tablename FROM pg_tables WHERE schemaname = $1 LIMIT 1", binds: binds(schema)))
            guard other.isEmpty else {
                throw StoreError(.unsupportedSchema, "schema \(schema) holds tables that are not a paychan store's")
            }
            try await run.execute(
                """
                CREATE TABLE schema_version (
                    version integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            return 0
        }
        let rows = try await run.rows("SELECT version, description FROM schema_version ORDER BY version")
        var version = 0
        for row in rows {
            let cells = row.makeRandomAccess()
            guard let number = try? cells[0].decode(Int32.self), let description = try? cells[1].decode(String.self)
            else { throw StoreError(.corrupt, "schema_version: a row does not decode") }
            if number == 1 && description != purpose {
                throw StoreError(.unsupportedSchema, "schema \(schema) belongs to another program ('\(description)')")
            }
            version = max(version, Int(number))
        }
        guard version > 0 else { throw StoreError(.unsupportedSchema, "schema \(schema): schema_version is empty") }
        return version
    }

    /// `name` in double quotes (it is a plain identifier: ``PostgresStoreConfiguration``).
    static func quoted(_ name: String) -> String { "\"\(name)\"" }
}

/// Bindings for an `unsafeSQL` query, in order.
func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { bindings.append(value) }
    return bindings
}
