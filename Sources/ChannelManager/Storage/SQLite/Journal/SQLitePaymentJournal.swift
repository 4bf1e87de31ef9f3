import BitcoinPrimitives
import Dispatch
import GRDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The payment journal of a ``SQLiteChannelStore``: a batch made only of payments is made
/// durable by one write to a file of the store's own (``PaymentJournalFile``) instead of an
/// SQLite commit, and folded into the database later, in the next SQLite transaction.
///
/// - **Why.** A payment is one small change, and a sequential channel waits for its commit.
///   An SQLite commit takes locks, writes a WAL frame that straddles two blocks, and its sync
///   often waits for a file system journal commit; one aligned block written with `O_DSYNC`
///   into a preallocated file costs the device one write and one flush.
/// - **Folding.** Every SQLite transaction of the writer first applies the payments journaled
///   since the last fold, and stores the last folded record's sequence number in `store_meta`
///   (`payment_journal_folded`) in the same transaction; the journal then starts over at its
///   first block. Reads fold first (``SQLiteChannelStore`` enqueues a fold), so they see every
///   durable payment. A full journal, an idle moment and ``SQLiteChannelStore/close()`` fold too.
/// - **Replay.** Opening the store applies, in one transaction, the valid records of the
///   current cycle: those carrying the database's journal identity, its folded sequence number
///   as their base, and consecutive sequence numbers from the first block on, each with a good
///   checksum (``PaymentJournalRecord``). A torn last record was never acknowledged: it fails
///   its checksum and is dropped.
/// - **Refusals** stay as in the database: a payment for a channel that is not stored is
///   refused (`.inconsistent`). The journal checks that once per channel and remembers it.
///
/// Used by the writer alone, one run at a time; the state is behind a mutex only so that the
/// store can ask from other threads whether anything is left to fold.
package final class SQLitePaymentJournal: Sendable {
    /// Blocks in a journal file by default: 4 MiB, so 1,024 journal writes between the folds a
    /// full journal forces (each an SQLite commit on the payment path).
    static let defaultBlocks = 1024
    /// How long the writer must have been idle before unfolded payments are folded, by default.
    static let idleFoldNanoseconds: UInt64 = 50_000_000

    private struct State {
        /// The cycle's base: the last sequence number folded into the database.
        var base: UInt64
        /// The next record's sequence number.
        var nextSequence: UInt64
        /// Where the next record goes (bytes).
        var offset = 0
        /// Journaled payments not yet in the database, oldest first.
        var unfolded: [JournaledPayment] = []
        /// Channels known to be stored (their payments are not refused).
        var knownServer: Set<Hash256> = []
        var knownClient: Set<Hash256> = []
        /// When the last record was written (monotonic nanoseconds).
        var lastWrite: UInt64 = 0
        /// Whether an idle fold was asked for and has not been committed yet.
        var foldRequested = false
    }

    private let file: PaymentJournalFile
    private let identity: [UInt8]
    private let state: Mutex<State>
    /// Whether batches of payments are written here; false for a store opened without the
    /// journal, which still holds the file's lock (see ``open(pool:databasePath:blocks:use:observeOnly:)``).
    let takesPayments: Bool

    private init(file: PaymentJournalFile, identity: [UInt8], folded: UInt64, takesPayments: Bool) {
        self.file = file
        self.identity = identity
        self.takesPayments = takesPayments
        state = Mutex(State(base: folded, nextSequence: folded + 1))
    }

    /// The journal file of the database at `path`.
    static func path(ofDatabase path: String) -> String { path + "-paylog" }

    /// What a store is to the journal of its file.
    enum Role: Sendable {
        /// It owns the journal (holds its lock): payments go there, unless the store was opened
        /// without the journal (``takesPayments``).
        case owner(SQLitePaymentJournal)
        /// Another open store owns it, or this store is read-only: its reads lay the owner's
        /// unfolded payments over the database's rows, and it writes nothing.
        case observer(PaymentJournalObserver)
    }

    /// Opens the journal of `pool`'s database and replays what it holds into the database, then
    /// keeps it for writes when `use` is true. When another open store holds the journal, or
    /// `observeOnly` (a read-only store) says not to take it, this store observes it instead
    /// (and replays nothing: the owner will fold it). Without `use` the replay still runs (the
    /// journal may hold acknowledged payments), and the store still owns the journal, creating
    /// an empty file if there was none: the journal's lock is what keeps one writer per file,
    /// whether that writer journals its payments or not.
    ///
    /// A store that observes because another held the journal calls this again before each
    /// write, and so takes the journal over (replaying what the other left) once it is free.
    static func open(
        pool: DatabasePool, databasePath: String, blocks: Int, use: Bool, observeOnly: Bool = false
    ) throws(StoreError) -> Role {
        let path = path(ofDatabase: databasePath)
        let (identity, folded) = try readMeta(pool)
        if observeOnly { return .observer(PaymentJournalObserver(path: path, identity: identity)) }
        guard let file = try PaymentJournalFile.open(path: path, blocks: blocks) else {
            return .observer(PaymentJournalObserver(path: path, identity: identity))
        }
        let records = try replayable(in: file, identity: identity, base: folded)
        var lastFolded = folded
        if let last = records.last {
            try apply(records.flatMap(\.entries), folding: last.sequence, in: pool)
            lastFolded = last.sequence
        }
        if use { try file.preallocate() }
        return .owner(SQLitePaymentJournal(file: file, identity: identity, folded: lastFolded, takesPayments: use))
    }

    /// Releases the file (and its lock).
    func close() { file.close() }

    /// Whether payments were journaled since the last fold.
    var hasUnfolded: Bool { state.withLock { !$0.unfolded.isEmpty } }

    /// Whether an idle fold is due: payments wait to be folded and nothing was journaled for
    /// `idleNanoseconds`. Returns true once per fold (the caller then enqueues it).
    func claimIdleFold(now: UInt64, idleNanoseconds: UInt64) -> Bool {
        state.withLock { state in
            guard !state.unfolded.isEmpty, !state.foldRequested,
                now &- state.lastWrite >= idleNanoseconds
            else { return false }
            state.foldRequested = true
            return true
        }
    }

    // MARK: Writing

    /// Journals `batch` if every ticket in it is one payment and the record fits before the end
    /// of the file: returns each ticket's outcome (a payment for a channel not stored is
    /// refused) once the record is durable. Returns nil to leave the batch to an SQLite commit.
    func write(_ batch: ArraySlice<QueuedGroup>, pool: DatabasePool) throws -> [TicketOutcome]? {
        guard takesPayments else { return nil }
        var payments: [JournaledPayment] = []
        payments.reserveCapacity(batch.count)
        for group in batch {
            guard case .writes(let writes) = group.operation, writes.count == 1,
                let payment = JournaledPayment(writes[0])
            else { return nil }
            payments.append(payment)
        }
        let room = state.withLock { file.size - $0.offset }
        let payloadSize = payments.reduce(0) { $0 + $1.encodedSize }
        guard PaymentJournalRecord.recordSize(payloadSize: payloadSize) <= room else { return nil }

        let stored = try storedChannels(payments, pool: pool)
        var outcomes: [TicketOutcome] = []
        outcomes.reserveCapacity(payments.count)
        var entries: [JournaledPayment] = []
        entries.reserveCapacity(payments.count)
        for (payment, isStored) in zip(payments, stored) {
            if isStored {
                entries.append(payment)
                outcomes.append(.applied(.none))
            } else {
                outcomes.append(.refused(StoreState.missing(payment.contractTxid)))
            }
        }
        guard !entries.isEmpty else { return outcomes }
        let (base, sequence, offset) = state.withLock { ($0.base, $0.nextSequence, $0.offset) }
        let record = PaymentJournalRecord.encodeUnpadded(
            identity: identity, base: base, sequence: sequence, entries: entries)
        let size = PaymentJournalRecord.recordSize(
            payloadSize: record.count - PaymentJournalRecord.headerSize - PaymentJournalRecord.checksumSize)
        try file.write(record, paddedTo: size, at: offset)
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { state in
            state.nextSequence += 1
            state.offset += size
            state.unfolded += entries
            state.lastWrite = now
        }
        return outcomes
    }

    /// Which of `payments` name a stored channel: from memory, else asked of the database once.
    private func storedChannels(_ payments: [JournaledPayment], pool: DatabasePool) throws -> [Bool] {
        var known = state.withLock { state in
            payments.map { payment -> Bool? in
                switch payment {
                case .server(let txid, _, _): return state.knownServer.contains(txid) ? true : nil
                case .client(let txid, _): return state.knownClient.contains(txid) ? true : nil
                }
            }
        }
        guard known.contains(nil) else { return known.map { $0 ?? false } }
        try pool.writeWithoutTransaction { db in
            for index in known.indices where known[index] == nil {
                let table = if case .server = payments[index] { "server_channels" } else { "client_channels" }
                known[index] =
                    try Bool.fetchOne(
                        db, sql: "SELECT 1 FROM \(table) WHERE contract_txid = ?",
                        arguments: [payments[index].contractTxid.blob]) ?? false
            }
        }
        state.withLock { state in
            for (payment, isStored) in zip(payments, known) where isStored == true {
                switch payment {
                case .server(let txid, _, _): state.knownServer.insert(txid)
                case .client(let txid, _): state.knownClient.insert(txid)
                }
            }
        }
        return known.map { $0 ?? false }
    }

    // MARK: Folding

    /// Inside the writer's transaction, before its own writes: applies the unfolded payments
    /// and records the last journaled sequence number as folded. Returns that number (nil when
    /// there was nothing to fold), to pass to ``didFold(through:)`` once the transaction commits.
    func fold(into db: Database) throws -> UInt64? {
        let (unfolded, last) = state.withLock { ($0.unfolded, $0.nextSequence - 1) }
        guard !unfolded.isEmpty else { return nil }
        try Self.applyLatest(unfolded, folding: last, in: db)
        return last
    }

    /// After the transaction that folded through `sequence` committed: the journal starts a
    /// new cycle at its first block.
    func didFold(through sequence: UInt64) {
        state.withLock { state in
            state.base = sequence
            state.nextSequence = sequence + 1
            state.offset = 0
            state.unfolded = []
            state.foldRequested = false
        }
    }

    /// After channels were deleted (a prune): forgets which channels are stored.
    func forgetStoredChannels() {
        state.withLock { state in
            state.knownServer = []
            state.knownClient = []
        }
    }

    // MARK: Replay and meta

    /// The current cycle's valid records, in order.
    package static func replayable(_ contents: UnsafeRawBufferPointer, identity: [UInt8], base: UInt64)
        -> [(sequence: UInt64, entries: [JournaledPayment])]
    {
        scan(contents, identity: identity, base: base).records
    }

    /// The current cycle's valid records in `contents`, in order, and where they end.
    private static func scan(_ contents: UnsafeRawBufferPointer, identity: [UInt8], base: UInt64)
        -> (records: [(sequence: UInt64, entries: [JournaledPayment])], end: Int)
    {
        var records: [(UInt64, [JournaledPayment])] = []
        var offset = 0
        var sequence = base &+ 1
        while offset < contents.count,
            let record = PaymentJournalRecord.decode(
                contents, at: offset, identity: identity, base: base, sequence: sequence)
        {
            records.append((sequence, record.entries))
            offset += record.size
            sequence &+= 1
        }
        return (records, offset)
    }

    /// The current cycle's valid records in `file`, reading only as far as they go: from the
    /// first `firstChunk` bytes (64 KiB; whole blocks, at least one) on, twice as much each
    /// time the records run to the end of what was read or the next record's header (of this
    /// cycle) says it ends beyond it. After a fold the first block already ends the cycle, so
    /// an open reads one chunk, not the whole file.
    package static func replayable(
        in file: some PaymentJournalPrefixReading, identity: [UInt8], base: UInt64, firstChunk: Int = 64 * 1024
    ) throws(StoreError) -> [(sequence: UInt64, entries: [JournaledPayment])] {
        let block = PaymentJournalRecord.blockSize
        var wanted = min(file.size, max(block, firstChunk / block * block))
        while true {
            let (records, needsMore) = try file.withPrefix(wanted) { contents in
                let found = scan(contents, identity: identity, base: base)
                // The whole file read, or a short file: nothing more to read.
                guard contents.count == wanted, wanted < file.size else { return (found.records, false) }
                if found.end >= contents.count { return (found.records, true) }
                let next = base &+ UInt64(found.records.count) &+ 1
                let declared = PaymentJournalRecord.declaredSize(
                    contents, at: found.end, identity: identity, base: base, sequence: next)
                return (found.records, declared.map { found.end + $0 > contents.count } ?? false)
            }
            guard needsMore else { return records }
            wanted = min(file.size, wanted * 2)
        }
    }

    /// Applies replayed payments in one transaction of their own.
    private static func apply(_ entries: [JournaledPayment], folding last: UInt64, in pool: DatabasePool)
        throws(StoreError)
    {
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try applyLatest(entries, folding: last, in: db)
                    return .commit
                }
            }
        } catch {
            throw StoreError.from(error, "cannot replay the payment journal")
        }
    }

    /// Writes the last value journaled for each channel, and the folded sequence number.
    private static func applyLatest(_ entries: [JournaledPayment], folding last: UInt64, in db: Database) throws {
        let latest = LatestJournaledPayments(entries)
        let server = try db.cachedStatement(sql: SQLiteWriteSQL.serverPayment.sql)
        for (txid, payment) in latest.server {
            try server.execute(arguments: [payment.value.satoshis, payment.signature.blob, txid.blob])
            try expectOneChange(db, txid)
        }
        let client = try db.cachedStatement(sql: SQLiteWriteSQL.clientPayment.sql)
        for (txid, valueLeft) in latest.client {
            try client.execute(arguments: [valueLeft.satoshis, txid.blob])
            try expectOneChange(db, txid)
        }
        try db.execute(
            sql: "UPDATE store_meta SET value = ? WHERE key = ?", arguments: [String(last), Meta.folded])
    }

    private static func expectOneChange(_ db: Database, _ txid: Hash256) throws {
        guard db.changesCount == 1 else {
            throw StoreError(.corrupt, "the payment journal names channel \(txid.displayHex), which is not stored")
        }
    }

    enum Meta {
        static let identity = "payment_journal_id"
        static let folded = "payment_journal_folded"
    }

    /// The folded sequence number, in `db`'s snapshot.
    static func folded(_ db: Database) throws -> UInt64 {
        let text = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = ?", arguments: [Meta.folded])
        guard let text, let folded = UInt64(text), folded < UInt64.max / 2 else {
            throw StoreError(.corrupt, "store_meta \(Meta.folded) is missing or malformed")
        }
        return folded
    }

    /// The journal identity and the folded sequence number, from `store_meta`.
    static func readMeta(_ pool: DatabasePool) throws(StoreError) -> ([UInt8], UInt64) {
        do {
            return try pool.read { db in
                let hex = try String.fetchOne(
                    db, sql: "SELECT value FROM store_meta WHERE key = ?", arguments: [Meta.identity])
                guard let hex, let identity = [UInt8](hex: hex), identity.count == 16 else {
                    throw StoreError(.corrupt, "store_meta \(Meta.identity) is missing or malformed")
                }
                return (identity, try folded(db))
            }
        } catch {
            throw StoreError.from(error, "cannot read the payment journal's state")
        }
    }
}
