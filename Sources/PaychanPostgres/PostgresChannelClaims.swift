import BitcoinPrimitives
import ChannelManager
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One node's claims on the channels of a ``PostgresChannelStore`` that several `paychan
/// server` nodes share: leases with heartbeats, judged by the database's clock, each grant with
/// a fencing token from the sequence `channel_claim_tokens` (see ``ChannelClaims`` and
/// `PostgresClaimSQL` for the statements and their locks).
///
/// Why leases and heartbeats rather than claims tied to a database session (advisory locks):
/// the store's writes run on a connection of their own and the claims on another, and the
/// check must happen inside each write's own transaction on the database's clock, so that a
/// node that is paused or cut off finds its writes refused by the database itself once its lease
/// lapsed, whatever its own clock says.
///
/// Claims run on a connection of their own, opened again after it was lost; every failure is
/// ``ClaimError/unavailable(_:)``.
public final class PostgresChannelClaims: ChannelClaims {
    public let nodeID: String
    public let leaseSeconds: UInt64
    public var fencesWrites: Bool { true }
    private let connection: PostgresReaderConnection
    private let reserved = Mutex<[UInt64]>([])

    /// Claims of node `nodeID` on the store at `configuration` (its schema migrated by
    /// ``PostgresChannelStore/open(_:clock:logger:)`` first).
    public init(
        configuration: PostgresStoreConfiguration, nodeID: String, leaseSeconds: UInt64,
        logger: Logger = Logger(label: "paychan.postgres-claims")
    ) {
        self.nodeID = nodeID
        self.leaseSeconds = leaseSeconds
        connection = PostgresReaderConnection(configuration: configuration, logger: logger, role: "claims")
    }

    /// Closes the connection.
    public func close() { connection.close() }

    public func reserveToken() async throws(ClaimError) -> UInt64 {
        if let token = reserved.withLock({ $0.popLast() }) { return token }
        let tokens = try await rows(PostgresClaimSQL.reserveTokens(32)).map { row throws(ClaimError) in
            try Self.token(row, 0)
        }
        guard let first = tokens.first else { throw .unavailable("no token reserved") }
        reserved.withLock { $0.append(contentsOf: tokens.dropFirst().reversed()) }
        return first
    }

    public func claim(_ contractTxid: Hash256) async throws(ClaimError) -> ChannelClaim {
        let granted = try await rows(PostgresClaimSQL.claim(contractTxid, node: nodeID, leaseSeconds: leaseSeconds))
        if let row = granted.first {
            return ChannelClaim(contractTxid: contractTxid, nodeID: nodeID, token: try Self.token(row, 0))
        }
        let holder = try await rows(PostgresClaimSQL.holder(contractTxid)).first.flatMap {
            try? $0.makeRandomAccess()[0].decode(String.self)
        }
        throw .heldElsewhere(contractTxid, node: holder ?? "?")
    }

    public func renew(_ claims: [ChannelClaim]) async throws(ClaimError) -> Set<ChannelClaim> {
        guard !claims.isEmpty else { return [] }
        var renewed = Set<ChannelClaim>()
        for chunk in stride(from: 0, to: claims.count, by: 5_000) {
            let part = Array(claims[chunk..<min(chunk + 5_000, claims.count)])
            for row in try await rows(PostgresClaimSQL.renew(part, node: nodeID, leaseSeconds: leaseSeconds)) {
                let cells = row.makeRandomAccess()
                guard let bytes = try? cells[0].decode(ByteBuffer.self),
                    let txid = Hash256(internalOrder: Array(buffer: bytes))
                else { throw .unavailable("renewal returned an unexpected row") }
                renewed.insert(ChannelClaim(contractTxid: txid, nodeID: nodeID, token: try Self.token(row, 1)))
            }
        }
        return Set(claims).subtracting(renewed)
    }

    public func release(_ claim: ChannelClaim) async throws(ClaimError) {
        _ = try await rows(PostgresClaimSQL.release(claim))
    }

    /// Every claim granted in the store and the writes applied under each, read from
    /// `channel_claim_log` and `channel_claim_writes`.
    public func audit() async throws(ClaimError) -> ClaimAudit {
        var audit = ClaimAudit()
        for row in try await rows(PostgresClaimSQL.auditGrants) {
            let (txid, token, node) = try Self.auditKey(row)
            audit.grants.append(ChannelClaim(contractTxid: txid, nodeID: node, token: token))
        }
        for row in try await rows(PostgresClaimSQL.auditWrites) {
            let (txid, token, node) = try Self.auditKey(row)
            guard let count = try? row.makeRandomAccess()[3].decode(Int64.self) else {
                throw .unavailable("channel_claim_writes: a count is not a bigint")
            }
            audit.writes.append(.init(contractTxid: txid, token: token, nodeID: node, count: Int(count)))
        }
        return audit
    }

    private func rows(_ query: PostgresQuery) async throws(ClaimError) -> [PostgresRow] {
        do { return try await connection.rows(query) } catch { throw .unavailable(error.message) }
    }

    private static func token(_ row: PostgresRow, _ column: Int) throws(ClaimError) -> UInt64 {
        guard let value = try? row.makeRandomAccess()[column].decode(Int64.self), value > 0 else {
            throw .unavailable("a token is not a positive bigint")
        }
        return UInt64(value)
    }

    private static func auditKey(_ row: PostgresRow) throws(ClaimError) -> (Hash256, UInt64, String) {
        let cells = row.makeRandomAccess()
        guard let bytes = try? cells[0].decode(ByteBuffer.self),
            let txid = Hash256(internalOrder: Array(buffer: bytes)),
            let node = try? cells[2].decode(String.self)
        else { throw .unavailable("a claim audit row does not decode") }
        return (txid, try token(row, 1), node)
    }
}
