import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import NIOCore
@_spi(StoreTesting) import PaychanPostgres
import PostgresNIO
import Testing

/// Opening a schema an older version left (the committed v1 fixture), a newer one, and one of
/// another program.
@Suite("PostgreSQL store schema", .enabled(if: PostgresTestDatabase.isConfigured))
struct PostgresMigrationTests {
    static func fixture() throws -> String {
        guard let url = Bundle.module.url(forResource: "schema-v1", withExtension: "sql", subdirectory: "Fixtures")
        else { throw StoreFixtures.Failure(description: "schema-v1.sql is missing") }
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("the committed v1 fixture is the v1 the code ships")
    func fixtureIsShippedV1() throws {
        let fixture = PostgresTestDatabase.statements(of: try Self.fixture())
        let shipped = PostgresSchema.v1.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        // The fixture also creates schema_version (first) and records version 1 (last).
        #expect(Array(fixture.dropFirst().dropLast()) == shipped)
    }

    @Test("a v1 schema with rows migrates to the current version, records intact, ended channels stamped")
    func migratesFromV1() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let open = try StoreFixtures.server(1)
            let settled = try StoreFixtures.server(2, variant: 1)
            let refunded = try StoreFixtures.client(3, variant: 1)
            let client = try StoreFixtures.client(4)
            let output = try StoreFixtures.walletOutput(5, spentBy: try StoreFixtures.hash(6, tag: 9))
            try await PostgresTestDatabase.withConnection(configuration) { connection in
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(configuration.schema)\""),
                    logger: PostgresTestDatabase.logger
                ).get()
            }
            try await PostgresTestDatabase.withConnection(configuration, schema: configuration.schema) { connection in
                try await PostgresTestDatabase.execute(script: try Self.fixture(), on: connection)
                for record in [open, settled] { try await V1Rows.insert(record, on: connection) }
                for record in [refunded, client] { try await V1Rows.insert(record, on: connection) }
                try await V1Rows.insert(output, on: connection)
                _ = try await connection.query(
                    "INSERT INTO key_indexes VALUES (0, 5)", logger: PostgresTestDatabase.logger
                )
                .get()
            }

            let upgradeTime: UInt64 = 1_800_000_000
            let store = try await PostgresChannelStore.open(
                configuration, clock: ManualClock(now: upgradeTime), logger: PostgresTestDatabase.logger)
            #expect(try await store.serverChannel(contractTxid: open.contractTxid) == open)
            #expect(try await store.serverChannel(contractTxid: settled.contractTxid) == settled)
            #expect(try await store.clientChannel(contractTxid: refunded.contractTxid) == refunded)
            #expect(try await store.clientChannel(contractTxid: client.contractTxid) == client)
            #expect(try await store.walletOutputs(unspentOnly: false) == [output])
            #expect(try await store.reserveKeyIndex(.serverChannel) == 5)
            // The channels that had ended got the time of the upgrade: pruned from just after it.
            #expect(try await store.pruneEndedChannels(endedBefore: upgradeTime) == 0)
            #expect(try await store.pruneEndedChannels(endedBefore: upgradeTime + 1) == 2)
            #expect(try await store.serverChannel(contractTxid: open.contractTxid) == open)
            await store.close()

            let versions = try await PostgresTestDatabase.withConnection(configuration, schema: configuration.schema) {
                connection in
                try await connection.query(
                    "SELECT version FROM schema_version ORDER BY version", logger: PostgresTestDatabase.logger
                ).get().rows.map { try $0.decode(Int32.self) }
            }
            #expect(versions == Array(1...Int32(PostgresSchema.currentVersion)))
            // Opening again migrates nothing more.
            let again = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            #expect(try await again.serverChannel(contractTxid: open.contractTxid) == open)
            await again.close()
        }
    }

    @Test("a schema from a newer version is refused")
    func newerSchemaIsRefused() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let store = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            await store.close()
            try await PostgresTestDatabase.withConnection(configuration, schema: configuration.schema) { connection in
                _ = try await connection.query(
                    "INSERT INTO schema_version (version, description) VALUES (99, 'from the future')",
                    logger: PostgresTestDatabase.logger
                ).get()
            }
            let error = await #expect(throws: StoreError.self) {
                _ = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            }
            #expect(error?.kind == .unsupportedSchema)
        }
    }

    @Test("a schema holding another program's tables is refused, and left alone")
    func foreignSchemaIsRefused() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            try await PostgresTestDatabase.withConnection(configuration) { connection in
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(configuration.schema)\""),
                    logger: PostgresTestDatabase.logger
                ).get()
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE TABLE \"\(configuration.schema)\".orders (id int)"),
                    logger: PostgresTestDatabase.logger
                ).get()
            }
            let error = await #expect(throws: StoreError.self) {
                _ = try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
            }
            #expect(error?.kind == .unsupportedSchema)
            let tables = try await PostgresTestDatabase.withConnection(configuration) { connection in
                try await connection.query(
                    "SELECT tablename FROM pg_tables WHERE schemaname = \(configuration.schema)",
                    logger: PostgresTestDatabase.logger
                ).get().rows.map { try $0.decode(String.self) }
            }
            #expect(tables == ["orders"])
        }
    }

    @Test("many stores opening one new schema at once migrate it once")
    func concurrentOpens() async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let stores = try await withThrowingTaskGroup(of: PostgresChannelStore.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await PostgresChannelStore.open(configuration, logger: PostgresTestDatabase.logger)
                    }
                }
                var stores: [PostgresChannelStore] = []
                for try await store in group { stores.append(store) }
                return stores
            }
            for store in stores {
                #expect(try await store.serverChannels(in: [.open]) == [])
                await store.close()
            }
        }
    }
}

/// Rows written as version 1 wrote them (no `ended_at`).
enum V1Rows {
    static func insert(_ record: ServerChannelRecord, on connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO server_channels VALUES (
                \(bytes(record.contractTxid.internalBytes)), \(Int64(record.version.rawValue)),
                \(bytes(record.contract.serialized)), \(record.channelValue.satoshis), \(Int64(record.serverKeyIndex)),
                \(bytes(record.serverPublicKey.bytes)), \(bytes(record.clientPublicKey.bytes)),
                \(bytes(record.clientOutputScript.bytes)), \(Int64(bitPattern: record.expiry)),
                \(record.bestValueToServer.satoshis), \(bytes(record.bestSignature)), \(record.state.rawValue),
                \(record.settlement.map { bytes($0.serialized) })::bytea)
            """, logger: PostgresTestDatabase.logger
        ).get()
    }

    static func insert(_ record: ClientChannelRecord, on connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO client_channels VALUES (
                \(bytes(record.contractTxid.internalBytes)), \(Int64(record.version.rawValue)), \(record.serverID),
                \(bytes(record.contract.serialized)), \(record.channelValue.satoshis), \(bytes(record.refund.serialized)),
                \(Int64(record.clientKeyIndex)), \(bytes(record.clientPublicKey.bytes)),
                \(bytes(record.serverPublicKey.bytes)), \(Int64(bitPattern: record.expiry)), \(record.valueLeft.satoshis),
                \(record.minPayment.satoshis), \(record.state.rawValue), \(record.settlement.map { bytes($0.serialized) })::bytea)
            """, logger: PostgresTestDatabase.logger
        ).get()
    }

    static func insert(_ output: WalletOutput, on connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO wallet_outputs VALUES (
                \(bytes(output.outpoint.txid.internalBytes)), \(Int64(output.outpoint.index)), \(output.value.satoshis),
                \(bytes(output.scriptPubKey.bytes)), \(Int64(output.keyFamily.rawValue)), \(Int64(output.keyIndex)),
                \(output.spentBy.map { bytes($0.internalBytes) })::bytea)
            """, logger: PostgresTestDatabase.logger
        ).get()
    }

    static func bytes(_ value: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: value) }
}
