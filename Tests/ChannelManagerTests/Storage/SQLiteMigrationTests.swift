import BitcoinPrimitives
@_spi(StoreTesting) import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import GRDB
import Testing

/// Files written by older and newer schema versions.
@Suite("SQLiteChannelStore schema migrations")
struct SQLiteMigrationTests {
    @Test("a v1 file from disk migrates to the newest schema; every record reads back exactly; new writes work")
    func migratesCommittedV1File() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            try FileManager.default.copyItem(atPath: try StoreV1Fixture.committedURL().path, toPath: path)
            // It is a v1 file: one migration, no ended_at.
            #expect(try RawDatabase.fetchStrings(path, "SELECT identifier FROM grdb_migrations") == ["v1"])
            #expect(
                !(try RawDatabase.fetchStrings(path, "SELECT name FROM pragma_table_info('server_channels')")
                    .contains("ended_at")))

            let servers = try StoreV1Fixture.servers()
            let clients = try StoreV1Fixture.clients()
            let outputs = try StoreV1Fixture.outputs()
            let clock = ManualClock(now: 9_000)
            do {
                let store = try SQLiteChannelStore(path: path, clock: clock)
                defer { store.close() }
                #expect(
                    try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases))
                        == servers.sorted { $0.expiry < $1.expiry })
                #expect(
                    try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases))
                        == clients.sorted { $0.expiry < $1.expiry })
                for record in servers {
                    #expect(try await store.serverChannel(contractTxid: record.contractTxid) == record)
                }
                for record in clients {
                    #expect(try await store.clientChannel(contractTxid: record.contractTxid) == record)
                    #expect(try await store.clientChannels(serverID: record.serverID, in: [record.state]) == [record])
                }
                #expect(
                    try await store.walletOutputs(unspentOnly: false)
                        == outputs.sorted { a, b in
                            (a.outpoint.txid.displayHex, a.outpoint.index) < (
                                b.outpoint.txid.displayHex, b.outpoint.index
                            )
                        })
                #expect(try await store.walletOutputs(unspentOnly: true) == [outputs[0]])
                for (family, next) in StoreV1Fixture.nextKeyIndexes {
                    #expect(try await store.reserveKeyIndex(family) == next)
                }
                #expect(try await store.reserveKeyIndex(.walletReceive) == 0)

                // New writes, on migrated and new channels.
                let fresh = try StoreFixtures.server(150)
                try await store.write([
                    .server(.channel(fresh)),
                    .server(
                        .payment(
                            contractTxid: servers[0].contractTxid, bestValueToServer: try StoreFixtures.amount(4_242),
                            signature: [9])),
                    .client(.state(contractTxid: clients[0].contractTxid, .settled, settlement: nil)),
                ])
                // v4: an empty chain index, written like any other.
                #expect(try await store.chainIndex() == ChainIndex())
                try await store.write([.chainIndex(.cursor(BlockPosition(height: 7, hash: fresh.contractTxid)))])
            }
            #expect(
                try RawDatabase.fetchStrings(path, "SELECT identifier FROM grdb_migrations ORDER BY 1") == [
                    "v1", "v2", "v3", "v4", "v5-wallet-chain", "v6-wallet-coinbase",
                ])

            clock.advance(to: 9_500)
            let store = try SQLiteChannelStore(path: path, clock: clock)
            defer { store.close() }
            #expect(
                try await store.serverChannel(contractTxid: servers[0].contractTxid)?.bestValueToServer.satoshis
                    == 4_242)
            #expect(try await store.serverChannel(contractTxid: StoreFixtures.server(150).contractTxid) != nil)
            #expect(try await store.clientChannel(contractTxid: clients[0].contractTxid)?.state == .settled)
            #expect(try await store.chainIndex().cursor?.height == 7)
            // Channels that had ended in v1 were stamped with the upgrade time (9 000).
            #expect(try await store.pruneEndedChannels(endedBefore: 9_000) == 0)
            #expect(try await store.pruneEndedChannels(endedBefore: 9_001) == 3)
            #expect(try await store.serverChannel(contractTxid: servers[1].contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: clients[1].contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: clients[0].contractTxid) == nil)
            #expect(try await store.serverChannel(contractTxid: servers[0].contractTxid) != nil)
        }
    }

    @Test("the committed v1 file is exactly what the documented generator writes")
    func fixtureMatchesGenerator() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("generated.sqlite").path
            try StoreV1Fixture.write(to: path)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            let committed = try StoreV1Fixture.dump(try StoreV1Fixture.committedURL().path)
            let generated = try StoreV1Fixture.dump(path)
            #expect(committed == generated)
            #expect(committed.count > 10)
        }
    }

    @Test("a file with a schema migration this code does not know is .unsupportedSchema")
    func refusesFutureSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let record = try StoreFixtures.server(1)
            do {
                let store = try SQLiteChannelStore(path: path)
                try await store.write([.server(.channel(record))])
                store.close()
            }
            try RawDatabase.execute(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v3-channel-groups')")
            let error = #expect(throws: StoreError.self) { _ = try SQLiteChannelStore(path: path) }
            #expect(error?.kind == .unsupportedSchema)
            #expect(error?.message.contains("v3-channel-groups") == true)
            // Refusing changed nothing: without the unknown migration the file opens as before.
            try RawDatabase.execute(path, "DELETE FROM grdb_migrations WHERE identifier = 'v3-channel-groups'")
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            #expect(try await store.serverChannel(contractTxid: record.contractTxid) == record)
        }
    }

    @Test("a file whose creation was killed after the migrator's own table is migrated as a new store")
    func interruptedCreation() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            // What a kill leaves between the migrator creating its table and the first
            // migration committing: that table, empty, and nothing else.
            try RawDatabase.execute(path, "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            let record = try StoreFixtures.server(3)
            try await store.write([.server(.channel(record))])
            #expect(try await store.serverChannel(contractTxid: record.contractTxid) == record)
            #expect(
                try RawDatabase.fetchStrings(path, "SELECT identifier FROM grdb_migrations ORDER BY 1")
                    == SQLiteSchema.migrationIdentifiers)
        }
        try await withTemporaryDirectory { directory in
            // Any other table still marks a file this code did not create.
            let path = directory.appendingPathComponent("store.sqlite").path
            try RawDatabase.execute(path, "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try RawDatabase.execute(path, "CREATE TABLE notes (text TEXT)")
            let error = #expect(throws: StoreError.self) { try SQLiteChannelStore(path: path) }
            #expect(error?.kind == .unsupportedSchema)
        }
    }

    @Test(
        "writes Fixtures/store-v1.sqlite (run by hand, see StoreV1Fixture)",
        .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_WRITE_STORE_FIXTURE"] != nil))
    func writeV1Fixture() throws {
        let path = StoreV1Fixture.sourceURL.path
        try? FileManager.default.removeItem(atPath: path)
        try StoreV1Fixture.write(to: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
    }
}
