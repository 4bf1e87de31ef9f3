import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Logging
@_spi(StoreTesting) import PaychanPostgres
import PostgresNIO
import Synchronization
import Testing

/// What only the PostgreSQL store has to show: batching, bad rows, the database going away,
/// and stores on several nodes sharing one database.
@Suite("PostgreSQL store", .enabled(if: PostgresTestDatabase.isConfigured))
struct PostgresStoreTests {
    @Test("payments enqueued together share commits, and the last of each channel is stored")
    func groupCommit() async throws {
        try await PostgresTestDatabase.withStore { store in
            let channels = try (0..<5).map { try StoreFixtures.server(100 + $0) }
            try await store.write(channels.map { .server(.channel($0)) })
            let before = store.statistics
            var last = StoreTicket(sequence: 0)
            for n in 1...500 {
                let channel = channels[n % channels.count]
                last = store.enqueue([
                    .server(
                        .payment(
                            contractTxid: channel.contractTxid, bestValueToServer: try StoreFixtures.amount(Int64(n)),
                            signature: StoreFixtures.signature(n)))
                ])
            }
            try await store.waitUntilDurable(last)
            let after = store.statistics
            #expect(after.tickets - before.tickets == 500)
            #expect(after.commits - before.commits < 500)
            for (index, channel) in channels.enumerated() {
                let expected = 500 - (500 - index) % channels.count
                let stored = try await store.serverChannel(contractTxid: channel.contractTxid)
                #expect(stored?.bestValueToServer == (try StoreFixtures.amount(Int64(expected))))
                #expect(stored?.bestSignature == StoreFixtures.signature(expected))
            }
        }
    }

    @Test(
        "a bad row reads as .corrupt, never a trap",
        arguments: [
            ("server_channels", "contract = '\\x00'::bytea"),
            ("server_channels", "state = 'bogus'"),
            ("server_channels", "channel_value = -1"),
            ("server_channels", "server_public_key = '\\x0203'::bytea"),
            ("server_channels", "version = 7"),
            ("server_channels", "server_key_index = 99999999999"),
            ("client_channels", "refund = '\\xffff'::bytea"),
            ("client_channels", "min_payment = 3000000000000000"),
            ("wallet_outputs", "key_family = 99"),
            ("wallet_outputs", "spent_by = '\\x0102'::bytea"),
            ("wallet_outputs", "spend_from_chain = 5"),
            ("wallet_outputs", "is_coinbase = 2"),
            ("wallet_outputs", "confirmed_height = -4"),
        ])
    func corruptRows(table: String, change: String) async throws {
        try await PostgresTestDatabase.withStore { store in
            let server = try StoreFixtures.server(1)
            let client = try StoreFixtures.client(2)
            let output = try StoreFixtures.walletOutput(3)
            try await store.write([.server(.channel(server)), .client(.channel(client)), .walletOutputAdded(output)])
            try await PostgresTestDatabase.withConnection(store.configuration, schema: store.configuration.schema) {
                connection in
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(change)"), logger: PostgresTestDatabase.logger
                ).get()
            }
            let error = await #expect(throws: StoreError.self) {
                switch table {
                case "server_channels": _ = try await store.serverChannel(contractTxid: server.contractTxid)
                case "client_channels": _ = try await store.clientChannel(contractTxid: client.contractTxid)
                default: _ = try await store.walletOutputs(unspentOnly: false)
                }
            }
            #expect(error?.kind == .corrupt, "\(change): \(String(describing: error))")
            // The store goes on: other tables still read.
            if table != "server_channels" {
                #expect(try await store.serverChannel(contractTxid: server.contractTxid) == server)
            }
        }
    }

    @Test(
        "a bad chain index row reads as .corrupt",
        arguments: [
            "UPDATE chain_cursor SET block_hash = '\\x00'::bytea",
            "UPDATE chain_watched_outpoints SET spending_tx = '\\x0102'::bytea",
            "UPDATE chain_watched_outpoints SET spent_height = NULL",
            "UPDATE chain_watched_transactions SET own_tx = NULL, left_chain = 2",
            "UPDATE chain_watched_transactions SET block_hash = NULL",
        ])
    func corruptChainIndexRows(sql: String) async throws {
        try await PostgresTestDatabase.withStore { store in
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 1)
            let own = try StoreFixtures.transaction(3, tag: 72, value: 2_000)
            let block = try ChainIndexFixtures.position(4)
            try await store.write([
                .chainIndex(.watchOutpoint(watched)),
                .chainIndex(
                    .outpointSpend(
                        watched,
                        ChainSpend(transaction: try ChainIndexFixtures.spender(of: watched, seed: 2), block: block))),
                .chainIndex(.watchTransaction(own.txid, own: own)),
                .chainIndex(.transactionBlock(own.txid, block, leftChain: false)),
                .chainIndex(.cursor(block)),
            ])
            #expect(try await store.chainIndex().cursor == block)
            try await PostgresTestDatabase.withConnection(store.configuration, schema: store.configuration.schema) {
                connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresTestDatabase.logger).get()
            }
            let error = await #expect(throws: StoreError.self) { _ = try await store.chainIndex() }
            #expect(error?.kind == .corrupt, "\(sql)")
        }
    }

    @Test("a column of another type reads as .corrupt")
    func retypedColumn() async throws {
        try await PostgresTestDatabase.withStore { store in
            let server = try StoreFixtures.server(1)
            try await store.write([.server(.channel(server))])
            try await PostgresTestDatabase.withConnection(store.configuration, schema: store.configuration.schema) {
                connection in
                _ = try await connection.query(
                    "ALTER TABLE server_channels ALTER COLUMN expiry TYPE text", logger: PostgresTestDatabase.logger
                ).get()
            }
            let error = await #expect(throws: StoreError.self) {
                _ = try await store.serverChannel(contractTxid: server.contractTxid)
            }
            #expect(error?.kind == .corrupt)
        }
    }

    @Test("the connection killed inside a transaction: the ticket fails, nothing of it is applied, the store fails")
    func connectionKilledMidTransaction() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let armed = Mutex(false)
            let pid = Mutex<Int32?>(nil)
            let store = try await PostgresChannelStore.open(
                configuration, clock: ManualClock(now: 1_000), logger: PostgresTestDatabase.logger,
                beforeCommit: {
                    guard armed.withLock({ $0 }), let target = pid.withLock({ $0 }) else { return }
                    try? await Self.terminate(target, configuration)
                })
            pid.withLock { $0 = store.writerBackendPID }
            let kept = try StoreFixtures.server(1)
            try await store.write([.server(.channel(kept))])

            armed.withLock { $0 = true }
            let lost = try StoreFixtures.server(2)
            let ticket = store.enqueue([
                .server(.channel(lost)),
                .server(
                    .payment(
                        contractTxid: kept.contractTxid, bestValueToServer: try StoreFixtures.amount(999),
                        signature: StoreFixtures.signature(9))),
            ])
            let error = await #expect(throws: StoreError.self) { try await store.waitUntilDurable(ticket) }
            #expect(error?.kind == .io)
            // The store is failed: later tickets, reads and reservations throw `.failed`.
            let later = await #expect(throws: StoreError.self) {
                try await store.write([.client(.channel(try StoreFixtures.client(3)))])
            }
            #expect(later?.kind == .failed)
            await #expect(throws: StoreError.self) {
                _ = try await store.serverChannel(contractTxid: kept.contractTxid)
            }
            await #expect(throws: StoreError.self) { _ = try await store.reserveKeyIndex(.serverChannel) }
            await store.close()

            let reopened = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            #expect(try await reopened.serverChannel(contractTxid: kept.contractTxid) == kept)
            #expect(try await reopened.serverChannel(contractTxid: lost.contractTxid) == nil)
            #expect(try await reopened.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases)) == [])
            await reopened.close()
        }
    }

    @Test("the connection killed between payments: the next payment fails typed, the stored one stays")
    func connectionKilledBetweenPayments() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let store = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            let channel = try StoreFixtures.server(1)
            let paid = try StoreFixtures.amount(10)
            try await store.write([
                .server(.channel(channel)),
                .server(.payment(contractTxid: channel.contractTxid, bestValueToServer: paid, signature: [1])),
            ])
            try await Self.terminate(store.writerBackendPID, configuration)
            let error = await #expect(throws: StoreError.self) {
                try await store.write([
                    .server(
                        .payment(
                            contractTxid: channel.contractTxid, bestValueToServer: try StoreFixtures.amount(20),
                            signature: [2]))
                ])
            }
            #expect(error?.kind == .io)
            await store.close()
            let reopened = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            #expect(try await reopened.serverChannel(contractTxid: channel.contractTxid)?.bestValueToServer == paid)
            await reopened.close()
        }
    }

    @Test("key reservations from two stores on one database never collide")
    func reservationsAcrossStores() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let first = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            let second = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            let reserved = try await withThrowingTaskGroup(of: UInt32.self) { group in
                for n in 0..<300 {
                    let store = n % 2 == 0 ? first : second
                    let family: KeyFamily = n % 3 == 0 ? .clientChannel : .serverChannel
                    group.addTask { try await store.reserveKeyIndex(family) * 4 + family.rawValue }
                }
                var all: [UInt32] = []
                for try await value in group { all.append(value) }
                return all
            }
            let server = reserved.filter { $0 % 4 == KeyFamily.serverChannel.rawValue }.map { $0 / 4 }
            let client = reserved.filter { $0 % 4 == KeyFamily.clientChannel.rawValue }.map { $0 / 4 }
            #expect(server.sorted() == Array(0..<200))
            #expect(client.sorted() == Array(0..<100))
            #expect(try await first.nextKeyIndex(.serverChannel) == 200)
            #expect(try await second.nextKeyIndex(.clientChannel) == 100)
            await first.close()
            await second.close()
        }
    }

    @Test("a store sees the channels another store on the database wrote")
    func twoStoresShareChannels() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let writer = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            let reader = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            let channel = try StoreFixtures.server(7)
            try await writer.write([.server(.channel(channel))])
            #expect(try await reader.serverChannel(contractTxid: channel.contractTxid) == channel)
            await writer.close()
            await reader.close()
        }
    }

    @Test("URLs parse, and bad ones are refused")
    func urls() throws {
        let parsed = try PostgresStoreConfiguration(url: "postgres://alice:secret@db.example:6543/pay?schema=node_a")
        #expect(parsed.host == "db.example")
        #expect(parsed.port == 6543)
        #expect(parsed.username == "alice")
        #expect(parsed.password == "secret")
        #expect(parsed.database == "pay")
        #expect(parsed.schema == "node_a")
        #expect(!parsed.redactedURL.contains("secret"))
        let plain = try PostgresStoreConfiguration(url: "postgresql://bob@127.0.0.1/paychan")
        #expect(plain.port == 5432)
        #expect(plain.schema == PostgresStoreConfiguration.defaultSchema)
        #expect(plain.applicationName == "paychan-store")
        let named = try PostgresStoreConfiguration(
            url: "postgres://bob@host/db?application_name=paychan-node7&schema=s")
        #expect(named.applicationName == "paychan-node7")
        #expect(named.schema == "s")
        for bad in [
            "http://bob@host/db", "postgres://host/db", "postgres://bob@host/",
            "postgres://bob@host/db?schema=Bad-Name",
            "postgres://bob@host/db?sslmode=require", "postgres://bob@host:99999/db",
            "postgres://bob@host/db?application_name=",
        ] {
            #expect(throws: StoreError.self, "\(bad)") { _ = try PostgresStoreConfiguration(url: bad) }
        }
    }

    /// Ends a server process with `pg_terminate_backend` and waits until it is gone.
    static func terminate(_ pid: Int32, _ configuration: PostgresStoreConfiguration) async throws {
        try await PostgresTestDatabase.withConnection(configuration) { connection in
            _ = try await connection.query("SELECT pg_terminate_backend(\(pid))", logger: PostgresTestDatabase.logger)
                .get()
            for _ in 0..<200 {
                let rows = try await connection.query(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = \(pid)", logger: PostgresTestDatabase.logger
                ).get().rows
                if rows.isEmpty { return }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
        }
    }
}
