import BitcoinPrimitives
import ChannelManager
import NIOCore
import PostgresNIO

/// The statements of channel claims (``PostgresChannelClaims``) and of the writes they fence,
/// built here and nowhere else. Leases are judged by the database's clock
/// (`clock_timestamp()`, not the transaction's start), never a node's.
///
/// Locks: a fenced write takes `FOR KEY SHARE` on its channel's claim row inside its own
/// transaction and keeps it to the commit. Taking a claim over (or releasing it) changes the
/// row's `token`, a UNIQUE column, so it needs the row's exclusive lock and waits for every
/// write in flight under the old claim to commit or roll back: a write that passed its check
/// is committed before any other node's claim begins. A renewal changes only `expires_at`
/// (`FOR NO KEY UPDATE`), which does not conflict with the writers' lock, so heartbeats never
/// wait for, or deadlock with, a group commit.
enum PostgresClaimSQL {
    /// Version 4 of the schema: the claims, their sequence, the log of grants and the count of
    /// writes under each (channel, token, node), and each server channel's last writer's token.
    static let schema: [String] = [
        "CREATE SEQUENCE channel_claim_tokens",
        """
        CREATE TABLE channel_claims (
            contract_txid bytea PRIMARY KEY,
            node_id text NOT NULL,
            token bigint NOT NULL UNIQUE,
            expires_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE channel_claim_log (
            contract_txid bytea NOT NULL,
            token bigint NOT NULL,
            node_id text NOT NULL,
            claimed_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """,
        "CREATE INDEX channel_claim_log_token ON channel_claim_log (token)",
        """
        CREATE TABLE channel_claim_writes (
            contract_txid bytea NOT NULL,
            token bigint NOT NULL,
            node_id text NOT NULL,
            writes bigint NOT NULL,
            PRIMARY KEY (contract_txid, token, node_id)
        )
        """,
        "ALTER TABLE server_channels ADD COLUMN last_token bigint",
    ]

    static func lease(_ seconds: UInt64) -> Double { Double(min(seconds, 86_400 * 365)) }

    /// Reserves `count` tokens.
    static func reserveTokens(_ count: Int) -> PostgresQuery {
        "SELECT nextval('channel_claim_tokens') FROM generate_series(1, \(count))"
    }

    /// Claims a channel: granted (one row: the token) when it has no claim, its lease lapsed, or
    /// `node` holds it; the grant is logged.
    static func claim(_ txid: Hash256, node: String, leaseSeconds: UInt64) -> PostgresQuery {
        """
        WITH granted AS (
            INSERT INTO channel_claims AS k (contract_txid, node_id, token, expires_at)
            VALUES (\(txid.buffer), \(node), nextval('channel_claim_tokens'),
                clock_timestamp() + \(lease(leaseSeconds)) * interval '1 second')
            ON CONFLICT (contract_txid) DO UPDATE SET
                node_id = excluded.node_id, token = excluded.token, expires_at = excluded.expires_at
            WHERE k.expires_at <= clock_timestamp() OR k.node_id = excluded.node_id
            RETURNING k.token),
        logged AS (
            INSERT INTO channel_claim_log (contract_txid, token, node_id)
            SELECT \(txid.buffer), token, \(node) FROM granted)
        SELECT token FROM granted
        """
    }

    /// The node holding a channel's claim, if its lease runs.
    static func holder(_ txid: Hash256) -> PostgresQuery {
        "SELECT node_id FROM channel_claims WHERE contract_txid = \(txid.buffer) AND expires_at > clock_timestamp()"
    }

    /// Extends the leases of these claims of `node` that still run; returns those extended.
    static func renew(_ claims: [ChannelClaim], node: String, leaseSeconds: UInt64) -> PostgresQuery {
        let txids = claims.map(\.contractTxid.buffer)
        let tokens = claims.map { Int64(bitPattern: $0.token) }
        return """
            UPDATE channel_claims AS k SET expires_at = clock_timestamp() + \(lease(leaseSeconds)) * interval '1 second'
            FROM unnest(\(txids)::bytea[], \(tokens)::bigint[]) AS r(contract_txid, token)
            WHERE k.contract_txid = r.contract_txid AND k.token = r.token AND k.node_id = \(node)
                AND k.expires_at > clock_timestamp()
            RETURNING k.contract_txid, k.token
            """
    }

    static func release(_ claim: ChannelClaim) -> PostgresQuery {
        """
        DELETE FROM channel_claims WHERE contract_txid = \(claim.contractTxid.buffer)
            AND node_id = \(claim.nodeID) AND token = \(Int64(bitPattern: claim.token))
        """
    }

    /// Inside a write's transaction: checks that `claim` is its channel's and its lease runs,
    /// locks the claim row to the commit and counts the write. One row when it holds.
    static func checkHeld(_ claim: ChannelClaim) -> PostgresQuery {
        """
        WITH held AS (
            SELECT contract_txid, token, node_id FROM channel_claims
            WHERE contract_txid = \(claim.contractTxid.buffer) AND node_id = \(claim.nodeID)
                AND token = \(Int64(bitPattern: claim.token)) AND expires_at > clock_timestamp()
            FOR KEY SHARE)
        INSERT INTO channel_claim_writes AS w (contract_txid, token, node_id, writes)
        SELECT contract_txid, token, node_id, 1 FROM held
        ON CONFLICT (contract_txid, token, node_id) DO UPDATE SET writes = w.writes + 1
        RETURNING 1
        """
    }

    /// Inside a write's transaction: records the claim of a channel being opened, unless the
    /// channel is claimed already; logs and counts it. One row when recorded.
    static func claimOpened(_ claim: ChannelClaim, leaseSeconds: UInt64) -> PostgresQuery {
        """
        WITH opened AS (
            INSERT INTO channel_claims (contract_txid, node_id, token, expires_at)
            VALUES (\(claim.contractTxid.buffer), \(claim.nodeID), \(Int64(bitPattern: claim.token)),
                clock_timestamp() + \(lease(leaseSeconds)) * interval '1 second')
            ON CONFLICT (contract_txid) DO NOTHING
            RETURNING contract_txid, token, node_id),
        logged AS (
            INSERT INTO channel_claim_log (contract_txid, token, node_id)
            SELECT contract_txid, token, node_id FROM opened)
        INSERT INTO channel_claim_writes AS w (contract_txid, token, node_id, writes)
        SELECT contract_txid, token, node_id, 1 FROM opened
        ON CONFLICT (contract_txid, token, node_id) DO UPDATE SET writes = w.writes + 1
        RETURNING 1
        """
    }

    /// Stamps a server channel with the token of the claim that last wrote it.
    static func stampToken(_ claim: ChannelClaim) -> PostgresQuery {
        """
        UPDATE server_channels SET last_token = \(Int64(bitPattern: claim.token))
        WHERE contract_txid = \(claim.contractTxid.buffer)
        """
    }

    /// Server payments each behind a claim, and client payments, in one statement (one entry
    /// per channel: its last payment of the batch, and how many tickets paid it). Rows: (0,
    /// txid) per server channel paid, (1, txid) per client channel paid, (2, txid) per server
    /// channel whose claim held.
    static func fencedPayments(
        server: [(payment: (Hash256, Amount, [UInt8]), claim: ChannelClaim, tickets: Int)],
        client: [(Hash256, Amount)]
    ) -> PostgresQuery {
        let txids = server.map(\.payment.0.buffer)
        let values = server.map(\.payment.1.satoshis)
        let signatures = server.map { ByteBuffer(bytes: $0.payment.2) }
        let nodes = server.map(\.claim.nodeID)
        let tokens = server.map { Int64(bitPattern: $0.claim.token) }
        let tickets = server.map { Int64($0.tickets) }
        let clientTxids = client.map { $0.0.buffer }
        let clientValues = client.map { $0.1.satoshis }
        return """
            WITH p AS (
                SELECT * FROM unnest(\(txids)::bytea[], \(values)::bigint[], \(signatures)::bytea[], \(nodes)::text[],
                    \(tokens)::bigint[], \(tickets)::bigint[]) AS p(contract_txid, value, signature, node_id, token, tickets)),
            held AS (
                SELECT k.contract_txid FROM channel_claims AS k JOIN p
                    ON k.contract_txid = p.contract_txid AND k.node_id = p.node_id AND k.token = p.token
                WHERE k.expires_at > clock_timestamp()
                FOR KEY SHARE OF k),
            paid_server AS (
                UPDATE server_channels AS c
                SET best_value_to_server = p.value, best_signature = p.signature, last_token = p.token
                FROM p WHERE c.contract_txid = p.contract_txid AND p.contract_txid IN (SELECT contract_txid FROM held)
                RETURNING c.contract_txid, p.node_id, p.token, p.tickets),
            audited AS (
                INSERT INTO channel_claim_writes AS w (contract_txid, token, node_id, writes)
                SELECT contract_txid, token, node_id, tickets FROM paid_server
                ON CONFLICT (contract_txid, token, node_id) DO UPDATE SET writes = w.writes + excluded.writes),
            paid_client AS (
                UPDATE client_channels AS c SET value_left = q.value
                FROM unnest(\(clientTxids)::bytea[], \(clientValues)::bigint[]) AS q(contract_txid, value)
                WHERE c.contract_txid = q.contract_txid
                RETURNING c.contract_txid)
            SELECT 0, contract_txid FROM paid_server UNION ALL SELECT 1, contract_txid FROM paid_client
                UNION ALL SELECT 2, contract_txid FROM held
            """
    }

    static let auditGrants: PostgresQuery = "SELECT contract_txid, token, node_id FROM channel_claim_log ORDER BY token"
    static let auditWrites: PostgresQuery = "SELECT contract_txid, token, node_id, writes FROM channel_claim_writes"
}
