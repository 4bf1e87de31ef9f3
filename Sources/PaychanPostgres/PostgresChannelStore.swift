import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A ``ChannelStore`` in a PostgreSQL database: the store for a server that outgrows one
/// machine's SQLite file. It keeps the contract of ``ChannelStore`` exactly as
/// ``SQLiteChannelStore`` does:
///
/// - ``enqueue(_:)`` never blocks: it appends to a queue. One writer task takes what is queued
///   and commits it in one transaction on a connection of its own (group commit; a batch of
///   payments is one `UPDATE` statement: see `PostgresWriter`), then settles the tickets. A
///   ticket is released only once its transaction is committed with `synchronous_commit = on`.
/// - **Failures** follow ``ChannelStore``: a ticket whose writes do not fit the stored data is
///   refused alone (`.inconsistent`, in a savepoint when it has several writes) and the rest of
///   its batch commits; any database error (the server gone, the connection killed) fails the
///   batch's tickets, nothing of them committed, and the store with them: every later ticket,
///   read and reservation throws `.failed` until a new store is opened.
/// - **Reads** wait until every write enqueued before them is settled, then run on a second
///   connection; every row is checked (`.corrupt` for a bad one, never a trap).
/// - **Schema**: the tables live in one PostgreSQL schema (``PostgresStoreConfiguration/schema``),
///   versioned in its `schema_version` table and migrated on open (`PostgresSchema`). A schema
///   from a newer version, or one holding another program's tables, is refused with
///   `.unsupportedSchema`.
/// - **Many stores on one database**: key reservations are one statement each
///   (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so stores on several nodes never hand out
///   the same index. Channel rows carry no owner yet: two stores writing the same channel
///   would overwrite each other's writes.
/// - The database holds no private key: keys are derived from a seed kept elsewhere.
///
/// Call ``close()`` when done.
public final class PostgresChannelStore: ChannelStore {
    /// Counters showing how writes were batched.
    public struct Statistics: Sendable, Hashable {
        /// Transactions committed.
        public var commits = 0
        /// Tickets settled by those commits (refused ones included).
        public var tickets = 0
        /// ``StoreWrite`` values applied.
        public var writes = 0
        /// Tickets refused as inconsistent.
        public var refusedTickets = 0
        /// The most tickets one commit settled.
        public var largestBatch = 0
    }

    /// Where the store is.
    public let configuration: PostgresStoreConfiguration
    private let queue: PostgresWriteQueue
    private let writerTask: Task<Void, Never>
    private let reader: PostgresReaderConnection
    /// The server process of the writer's connection (`pg_backend_pid()`).
    @_spi(StoreTesting) public let writerBackendPID: Int32

    private init(
        configuration: PostgresStoreConfiguration, queue: PostgresWriteQueue, writerTask: Task<Void, Never>,
        reader: PostgresReaderConnection, writerBackendPID: Int32
    ) {
        self.configuration = configuration
        self.queue = queue
        self.writerTask = writerTask
        self.reader = reader
        self.writerBackendPID = writerBackendPID
    }

    /// Connects, creates or migrates the schema, and starts the writer.
    /// - Parameters:
    ///   - clock: stamps when channels end (for ``pruneEndedChannels(endedBefore:)``).
    /// - Throws: `.unsupportedSchema` for a schema from a newer version or another program,
    ///   `.io` when the database cannot be reached or refuses.
    public static func open(
        _ configuration: PostgresStoreConfiguration, clock: any ManagerClock = SystemClock(),
        logger: Logger = Logger(label: "paychan.postgres-store")
    ) async throws(StoreError) -> PostgresChannelStore {
        try await open(configuration, clock: clock, logger: logger, beforeCommit: nil)
    }

    /// ``open(_:clock:logger:)`` with a hook that runs inside every multi-statement
    /// transaction, after its statements and before its `COMMIT` (tests kill the connection
    /// there).
    @_spi(StoreTesting)
    public static func open(
        _ configuration: PostgresStoreConfiguration, clock: any ManagerClock, logger: Logger,
        beforeCommit: (@Sendable () async -> Void)?
    ) async throws(StoreError) -> PostgresChannelStore {
        let writerConnection = try await PostgresSession.connect(configuration, role: "writer", logger: logger)
        do throws(StoreError) {
            try await PostgresSchema.migrate(
                writerConnection, schema: configuration.schema, now: clock.now(), logger: logger)
            let run = PostgresStatementRunner(connection: writerConnection, logger: logger)
            let pid = try await PostgresSession.backendPID(run)
            let reader = PostgresReaderConnection(configuration: configuration, logger: logger)
            let queue = PostgresWriteQueue()
            let writer = PostgresWriter(
                queue: queue, connection: writerConnection, clock: clock,
                maxTicketsPerCommit: configuration.maxTicketsPerCommit, logger: logger, beforeCommit: beforeCommit)
            let task = Task { await writer.runLoop() }
            return PostgresChannelStore(
                configuration: configuration, queue: queue, writerTask: task,
                reader: reader, writerBackendPID: pid)
        } catch {
            try? await writerConnection.close()
            throw error
        }
    }

    /// Drops the configuration's schema and everything in it (benches and tests that made one
    /// of their own).
    @_spi(StoreTesting)
    public static func dropSchema(
        _ configuration: PostgresStoreConfiguration, logger: Logger = Logger(label: "paychan.postgres-store")
    )
        async throws(StoreError)
    {
        let connection = try await PostgresSession.connect(configuration, role: "admin", logger: logger)
        do throws(StoreError) {
            try await PostgresStatementRunner(connection: connection, logger: logger).execute(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(PostgresSchema.quoted(configuration.schema)) CASCADE")
            )
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Without ``close()``: the writer commits what is queued, then closes its connection.
    deinit {
        queue.beginClosing()
        reader.close()
    }

    /// Commits what is queued, stops the writer and closes the connections. Afterwards every
    /// write, wait and read throws `.failed`. Calling it again does nothing.
    public func close() async {
        queue.beginClosing()
        await writerTask.value
        reader.close()
    }

    /// How writes were batched so far.
    public var statistics: Statistics { queue.statistics }

    // MARK: Writes

    public func enqueue(_ writes: [StoreWrite]) -> StoreTicket {
        StoreTicket(sequence: queue.enqueue(.writes(writes)))
    }

    public func waitUntilDurable(_ ticket: StoreTicket) async throws(StoreError) {
        if case .failure(let error) = await queue.outcome(of: ticket.sequence).durability { throw error }
    }

    /// Calls `body` on the writer right after the commit that settles `ticket`, unless its
    /// outcome is known at once: then that is returned and `body` never called.
    public func notifyWhenDurable(
        _ ticket: StoreTicket, _ body: @escaping @Sendable (Result<Void, StoreError>) -> Void
    ) -> Result<Void, StoreError>? {
        queue.notify(of: ticket.sequence) { body($0.durability) }?.durability
    }

    public func reserveKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        guard case .keyIndex(let index) = try await run(.reserveKeyIndex(family)) else {
            throw StoreError(.io, "key reservation returned no index")
        }
        return index
    }

    public func pruneEndedChannels(endedBefore cutoff: UInt64) async throws(StoreError) -> Int {
        guard case .pruned(let count) = try await run(.prune(endedBefore: cutoff)) else {
            throw StoreError(.io, "prune returned no count")
        }
        return count
    }

    private func run(_ operation: PostgresOperation) async throws(StoreError) -> PostgresOperationValue {
        switch await queue.enqueueAndWait(operation) {
        case .applied(let value): return value
        case .refused(let error), .storeFailed(let error): throw error
        }
    }

    // MARK: Reads

    public func serverChannel(contractTxid: Hash256) async throws(StoreError) -> ServerChannelRecord? {
        try await read(PostgresReads.serverChannel(contractTxid), PostgresReads.server).first
    }

    public func serverChannels(in states: Set<ServerChannelRecord.State>, expiringAfter: UInt64?)
        async throws(StoreError) -> [ServerChannelRecord]
    {
        guard !states.isEmpty else {
            try await queue.readBarrier()
            return []
        }
        let query = PostgresReads.serverChannels(states: states.map(\.rawValue).sorted(), expiringAfter: expiringAfter)
        return try await read(query, PostgresReads.server).sorted(by: StoreOrdering.server)
    }

    public func clientChannel(contractTxid: Hash256) async throws(StoreError) -> ClientChannelRecord? {
        try await read(PostgresReads.clientChannel(contractTxid), PostgresReads.client).first
    }

    public func clientChannels(serverID: String?, in states: Set<ClientChannelRecord.State>) async throws(StoreError)
        -> [ClientChannelRecord]
    {
        guard !states.isEmpty else {
            try await queue.readBarrier()
            return []
        }
        let query = PostgresReads.clientChannels(serverID: serverID, states: states.map(\.rawValue).sorted())
        return try await read(query, PostgresReads.client).sorted(by: StoreOrdering.client)
    }

    public func walletOutputs(unspentOnly: Bool) async throws(StoreError) -> [WalletOutput] {
        try await read(PostgresReads.walletOutputs(unspentOnly: unspentOnly), PostgresReads.walletOutput)
            .sorted(by: StoreOrdering.wallet)
    }

    public func nextKeyIndex(_ family: KeyFamily) async throws(StoreError) -> UInt32 {
        let values = try await read(PostgresWriteSQL.keyIndex(family)) { row throws(StoreError) -> Int64 in
            guard let value = try? row.makeRandomAccess()[0].decode(Int64.self) else {
                throw StoreError(.corrupt, "key_indexes row \(family): next_index is not a bigint")
            }
            return value
        }
        guard let value = values.first else { return 0 }
        guard let index = UInt32(exactly: value), index <= KeyFamily.indexLimit else {
            throw StoreError(.corrupt, "key_indexes row \(family): next_index \(value) is out of range")
        }
        return index
    }

    public func chainIndex() async throws(StoreError) -> ChainIndex {
        typealias Decoding = StoredChainIndexDecoding
        func decoder(_ table: String, _ count: Int) -> (PostgresRow) throws(StoreError) -> PostgresRowDecoder {
            { row throws(StoreError) in try PostgresRowDecoder(row, table: table, columnCount: count) }
        }
        var index = ChainIndex()
        let cursors = try await read(
            PostgresReads.chainTable("chain_cursor", Decoding.cursorColumns), decoder("chain_cursor", 2))
        index.cursor = try cursors.first.map { row throws(StoreError) in try Decoding.cursor(row) }
        for row in try await read(
            PostgresReads.chainTable("chain_watched_outpoints", Decoding.outpointColumns),
            decoder("chain_watched_outpoints", 5))
        {
            let watched = try Decoding.outpoint(row)
            index.outpoints[watched.outpoint] = watched
        }
        for row in try await read(
            PostgresReads.chainTable("chain_watched_transactions", Decoding.transactionColumns),
            decoder("chain_watched_transactions", 5))
        {
            let watched = try Decoding.transaction(row)
            index.transactions[watched.txid] = watched
        }
        for row in try await read(
            PostgresReads.chainTable("chain_watched_scripts", Decoding.scriptColumns),
            decoder("chain_watched_scripts", 1))
        {
            index.scripts.insert(try Decoding.script(row))
        }
        return index
    }

    /// Runs a query once every write enqueued before it is settled, and decodes its rows.
    private func read<T>(_ query: PostgresQuery, _ decode: (PostgresRow) throws(StoreError) -> T)
        async throws(StoreError) -> [T]
    {
        try await queue.readBarrier()
        let rows = try await reader.rows(query)
        try queue.checkNotFailed()
        var values: [T] = []
        values.reserveCapacity(rows.count)
        for row in rows { values.append(try decode(row)) }
        return values
    }
}
