import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Logging
import PostgresNIO

/// The store's one writer: a task that takes everything queued (up to a limit), commits it in
/// one transaction on its own connection, then settles the tickets. Writes arriving together so
/// share one commit (group commit).
///
/// - **Payments alone** (the hot path: every ticket of the batch is one payment) are one
///   statement, `UPDATE … FROM unnest(…)` for both roles, run in its own implicit transaction:
///   one round trip and one WAL flush for the whole batch, whatever its size. A channel paid
///   several times in the batch is updated once, to its last payment. (PostgresNIO runs one
///   query at a time per connection, so a single statement does what pipelining would.)
/// - **Anything else** runs between `BEGIN` and `COMMIT`: key reservations first, each one
///   statement, then each ticket in order; a ticket of several writes (or a spend of several
///   outputs) runs in a savepoint, so that its refusal (`.inconsistent`) undoes its earlier
///   writes and the rest of the batch commits.
/// - **Durability**: every connection runs with `synchronous_commit = on`: a commit returns
///   once its WAL is flushed on the server (and on synchronous standbys, if the cluster has
///   any), and only then are tickets settled.
/// - **Failure**: any database error (the connection lost, the server gone, a statement
///   refused) fails the batch's tickets and the store (``ChannelStore``'s `.failed` latch). The
///   open transaction is never committed: the connection is closed, and the server rolls it
///   back. A commit whose answer was lost with the connection may have been applied; its
///   tickets are failed all the same, so nothing is released that was not seen committed.
final class PostgresWriter: Sendable {
    private let queue: PostgresWriteQueue
    private let run: PostgresStatementRunner
    private let clock: any ManagerClock
    private let maxTicketsPerCommit: Int
    /// Test hook: runs after a transaction's statements, before its `COMMIT`.
    private let beforeCommit: (@Sendable () async -> Void)?

    init(
        queue: PostgresWriteQueue, connection: PostgresConnection, clock: any ManagerClock, maxTicketsPerCommit: Int,
        logger: Logger, beforeCommit: (@Sendable () async -> Void)?
    ) {
        self.queue = queue
        run = PostgresStatementRunner(connection: connection, logger: logger)
        self.clock = clock
        self.maxTicketsPerCommit = maxTicketsPerCommit
        self.beforeCommit = beforeCommit
    }

    /// Commits batches until the store closes or fails, then closes the connection (the server
    /// rolls back whatever a failed batch left open).
    func runLoop() async {
        let metrics = StoreCommitMetrics(store: "postgres")
        while let batch = await queue.nextBatch(limit: maxTicketsPerCommit) {
            let started = ContinuousClock.now
            do throws(StoreError) {
                let (outcomes, writes) = try await commit(batch)
                metrics.record(since: started, succeeded: true)
                queue.finish(batch, outcomes: outcomes, writes: writes)
            } catch {
                metrics.record(since: started, succeeded: false)
                run.logger.error("store write failed: \(error)")
                queue.fail(batch, with: error)
                break
            }
        }
        try? await run.connection.close()
    }

    private func commit(_ batch: [PostgresQueuedTicket]) async throws(StoreError)
        -> ([PostgresTicketOutcome], Int)
    {
        if let payments = PaymentBatch(batch) { return try await commitPayments(payments) }
        let now = Int64(clamping: clock.now())
        var outcomes = [PostgresTicketOutcome?](repeating: nil, count: batch.count)
        // Key reservations first, each its own statement, so that a transaction never holds
        // one family's counter while it waits for another's (stores on other nodes reserve too).
        for (index, ticket) in batch.enumerated() {
            if case .reserveKeyIndex(let family) = ticket.operation {
                outcomes[index] = try await reserveKeyIndex(family)
            }
        }
        try await run.execute("BEGIN")
        var writes = 0
        for (index, ticket) in batch.enumerated() where outcomes[index] == nil {
            switch ticket.operation {
            case .writes(let group):
                let outcome = try await apply(group, now: now)
                if case .applied = outcome { writes += group.count }
                outcomes[index] = outcome
            case .prune(let cutoff):
                let bound = Int64(clamping: cutoff)
                let deleted =
                    try await run.execute(PostgresWriteSQL.prune("server_channels", endedBefore: bound))
                    + run.execute(PostgresWriteSQL.prune("client_channels", endedBefore: bound))
                outcomes[index] = .applied(.pruned(deleted))
            case .reserveKeyIndex:
                break
            }
        }
        if let beforeCommit { await beforeCommit() }
        try await run.execute("COMMIT")
        return (outcomes.map { $0 ?? .applied(.none) }, writes)
    }

    // MARK: Payments

    /// A batch made only of tickets of one payment each, a server payment possibly behind its
    /// claim (`[.claimHeld, .server(.payment)]`). Server payments are either all fenced or none;
    /// a channel paid under two claims in one batch goes the general way.
    private struct PaymentBatch {
        var server: [Hash256: (Amount, [UInt8])] = [:]
        var client: [Hash256: Amount] = [:]
        /// The claim behind each fenced server channel's payments, and how many tickets.
        var fences: [Hash256: (claim: ChannelClaim, tickets: Int)] = [:]
        var unfencedServer = false
        /// Each ticket's channel: (true for a server channel, txid).
        var tickets: [(server: Bool, txid: Hash256)] = []

        init?(_ batch: [PostgresQueuedTicket]) {
            tickets.reserveCapacity(batch.count)
            for ticket in batch {
                guard case .writes(let writes) = ticket.operation else { return nil }
                switch (writes.count, writes.first, writes.last) {
                case (1, .server(.payment(let txid, let value, let signature)), _):
                    guard fences.isEmpty else { return nil }
                    unfencedServer = true
                    server[txid] = (value, signature)
                    tickets.append((true, txid))
                case (1, .client(.payment(let txid, let valueLeft)), _):
                    client[txid] = valueLeft
                    tickets.append((false, txid))
                case (2, .claimHeld(let claim), .server(.payment(let txid, let value, let signature))):
                    guard !unfencedServer, claim.contractTxid == txid,
                        fences[txid].map({ $0.claim == claim }) ?? true
                    else { return nil }
                    fences[txid, default: (claim, 0)].tickets += 1
                    server[txid] = (value, signature)
                    tickets.append((true, txid))
                default:
                    return nil
                }
            }
        }
    }

    private func commitPayments(_ payments: PaymentBatch) async throws(StoreError) -> ([PostgresTicketOutcome], Int) {
        let query: PostgresQuery
        if payments.fences.isEmpty {
            query = PostgresWriteSQL.payments(
                server: payments.server.map { ($0.key, $0.value.0, $0.value.1) },
                client: payments.client.map { ($0.key, $0.value) })
        } else {
            query = PostgresClaimSQL.fencedPayments(
                server: payments.server.compactMap { txid, payment in
                    payments.fences[txid].map { ((txid, payment.0, payment.1), $0.claim, $0.tickets) }
                },
                client: payments.client.map { ($0.key, $0.value) })
        }
        var paidServer = Set<Hash256>()
        var paidClient = Set<Hash256>()
        var held = Set<Hash256>()
        for row in try await run.rows(query) {
            let cells = row.makeRandomAccess()
            guard let role = try? cells[0].decode(Int32.self), let bytes = try? cells[1].decode(ByteBuffer.self),
                let txid = Hash256(internalOrder: Array(buffer: bytes))
            else { throw StoreError(.io, "payment update returned an unexpected row") }
            switch role {
            case 0: paidServer.insert(txid)
            case 1: paidClient.insert(txid)
            default: held.insert(txid)
            }
        }
        var writes = 0
        let outcomes = payments.tickets.map { ticket -> PostgresTicketOutcome in
            guard (ticket.server ? paidServer : paidClient).contains(ticket.txid) else {
                if ticket.server, let fence = payments.fences[ticket.txid], !held.contains(ticket.txid) {
                    return .refused(.claimLost(fence.claim))
                }
                return .refused(.missingChannel(ticket.txid))
            }
            writes += 1
            return .applied(.none)
        }
        return (outcomes, writes)
    }

    // MARK: Other writes

    /// Applies one ticket's writes inside the open transaction: `.applied`, or `.refused` with
    /// nothing of it left applied.
    private func apply(_ writes: [StoreWrite], now: Int64) async throws(StoreError) -> PostgresTicketOutcome {
        guard let first = writes.first else { return .applied(.none) }
        if writes.count == 1 && !Self.mayFailHalfway(first) {
            do throws(StoreError) {
                try await apply(first, now: now)
                return .applied(.none)
            } catch  where error.refusesTicketAlone {
                return .refused(error)
            }
        }
        try await run.execute("SAVEPOINT ticket")
        do throws(StoreError) {
            for write in writes { try await apply(write, now: now) }
            if let fence = Self.fence(of: writes) { try await run.execute(PostgresClaimSQL.stampToken(fence)) }
        } catch  where error.refusesTicketAlone {
            try await run.execute("ROLLBACK TO SAVEPOINT ticket")
            try await run.execute("RELEASE SAVEPOINT ticket")
            return .refused(error)
        }
        try await run.execute("RELEASE SAVEPOINT ticket")
        return .applied(.none)
    }

    /// The claim a ticket's writes are fenced by, if any.
    private static func fence(of writes: [StoreWrite]) -> ChannelClaim? {
        for write in writes {
            switch write {
            case .claimHeld(let claim), .claimOpened(let claim, _): return claim
            default: continue
            }
        }
        return nil
    }

    /// Whether a single write can be refused after changing some rows.
    private static func mayFailHalfway(_ write: StoreWrite) -> Bool {
        if case .walletOutputsSpent(let outpoints, _) = write { return outpoints.count > 1 }
        return false
    }

    /// Applies one write; throws `.inconsistent` (having changed nothing, but for a spend of
    /// several outputs) when it does not fit the stored data, `.io` for a database error.
    private func apply(_ write: StoreWrite, now: Int64) async throws(StoreError) {
        switch write {
        case .server(.channel(let record)):
            try StoreError.checkContract(record.contractTxid, of: record.contract)
            try await run.execute(PostgresWriteSQL.serverUpsert(record, endedAt: record.state.hasEnded ? now : nil))
        case .server(.payment(let txid, let value, let signature)):
            let rows = try await run.rows(PostgresWriteSQL.payments(server: [(txid, value, signature)], client: []))
            guard rows.count == 1 else { throw StoreError.missingChannel(txid) }
        case .server(.state(let txid, let state, let settlement)):
            let changed = try await run.execute(
                PostgresWriteSQL.serverState(txid, state, settlement, endedAt: state.hasEnded ? now : nil))
            guard changed == 1 else { throw StoreError.missingChannel(txid) }
        case .client(.channel(let record)):
            try StoreError.checkContract(record.contractTxid, of: record.contract)
            try await run.execute(PostgresWriteSQL.clientUpsert(record, endedAt: record.state.hasEnded ? now : nil))
        case .client(.payment(let txid, let valueLeft)):
            let rows = try await run.rows(PostgresWriteSQL.payments(server: [], client: [(txid, valueLeft)]))
            guard rows.count == 1 else { throw StoreError.missingChannel(txid) }
        case .client(.state(let txid, let state, let settlement)):
            let changed = try await run.execute(
                PostgresWriteSQL.clientState(txid, state, settlement, endedAt: state.hasEnded ? now : nil))
            guard changed == 1 else { throw StoreError.missingChannel(txid) }
        case .walletOutputAdded(let output):
            try await run.execute(PostgresWriteSQL.walletAdd(output))
        case .walletOutputsSpent(let outpoints, let spender):
            for outpoint in outpoints {
                let changed = try await run.execute(PostgresWriteSQL.walletSpend(outpoint, by: spender))
                guard changed == 1 else { throw StoreError.missingWalletOutput(outpoint) }
            }
        case .walletSpendAbandoned(let spender):
            try await run.execute(PostgresWriteSQL.walletAbandon(spender))
            try await run.execute(PostgresWriteSQL.walletDropOutputs(of: spender))
        // The chain's wallet writes do nothing on a missing output: they never refuse.
        case .walletOutputConfirmed(let outpoint, let height):
            try await run.execute(PostgresWriteSQL.walletConfirmed(outpoint, height: height))
        case .walletSpendSeen(let outpoint, let spender, let height):
            try await run.execute(PostgresWriteSQL.walletSpendSeen(outpoint, by: spender, height: height))
        case .walletSpendUnseen(let outpoint):
            try await run.execute(PostgresWriteSQL.walletSpendUnseen(outpoint))
        case .walletOutputRemoved(let outpoint):
            try await run.execute(PostgresWriteSQL.walletRemove(outpoint))
        case .chainIndex(let update):
            try await apply(update)
        case .claimHeld(let claim):
            guard try await run.rows(PostgresClaimSQL.checkHeld(claim)).count == 1 else {
                throw StoreError.claimLost(claim)
            }
        case .claimOpened(let claim, let lease):
            guard try await run.rows(PostgresClaimSQL.claimOpened(claim, leaseSeconds: lease)).count == 1 else {
                throw StoreError(.claimLost, "channel \(claim.contractTxid.displayHex) is claimed already")
            }
        }
    }

    /// Applies a chain index update by ``ChainIndex/apply(_:)``'s rules: checks first, and an
    /// update of an item not watched changes no row (and is refused).
    private func apply(_ update: ChainIndexUpdate) async throws(StoreError) {
        switch update {
        case .cursor(let position):
            try ChainIndex.checkHeight(position)
            try await run.execute(PostgresWriteSQL.chainCursor(position))
        case .watchOutpoint(let outpoint):
            try await run.execute(PostgresWriteSQL.chainWatchOutpoint(outpoint))
        case .watchTransaction(let txid, let own):
            if let own { try ChainIndex.checkOwn(own, txid) }
            try await run.execute(PostgresWriteSQL.chainWatchTransaction(txid, own: own))
        case .watchScript(let script):
            try await run.execute(PostgresWriteSQL.chainWatchScript(script))
        case .outpointSpend(let outpoint, let spend):
            if let spend { try ChainIndex.checkHeight(spend.block) }
            guard try await run.execute(PostgresWriteSQL.chainOutpointSpend(outpoint, spend)) == 1 else {
                throw ChainIndex.notWatched("outpoint \(outpoint)")
            }
        case .transactionBlock(let txid, let block, let leftChain):
            if let block { try ChainIndex.checkHeight(block) }
            guard try await run.execute(PostgresWriteSQL.chainTransactionBlock(txid, block, leftChain: leftChain)) == 1
            else { throw ChainIndex.notWatched("transaction \(txid.displayHex)") }
        }
    }

    /// Reserves a key index in its own implicit transaction (durable when it returns).
    private func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> PostgresTicketOutcome {
        let rows = try await run.rows(PostgresWriteSQL.reserveKeyIndex(family))
        if let row = rows.first {
            guard let index = try? row.makeRandomAccess()[0].decode(Int64.self), let reserved = UInt32(exactly: index)
            else { throw StoreError(.io, "key reservation returned an unexpected row") }
            return .applied(.keyIndex(reserved))
        }
        // Nothing changed: the counter is exhausted, or out of range.
        let stored = try await run.rows(PostgresWriteSQL.keyIndex(family))
        let value = stored.first.flatMap { try? $0.makeRandomAccess()[0].decode(Int64.self) }
        if let value, value >= Int64(KeyFamily.indexLimit) { return .refused(.keyFamilyExhausted(family)) }
        return .refused(
            StoreError(
                .corrupt, "key_indexes row \(family): next_index \(value.map(String.init) ?? "?") is out of range"))
    }
}
