import BitcoinPrimitives
@_spi(StoreTesting) import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import GRDB

/// The content of `Fixtures/store-v1.sqlite`, and how it was made.
///
/// The file is a channel database as the first schema ("v1" migration only) left it: the
/// records below, inserted with the v1 column set (no `ended_at`), WAL checkpointed so the
/// database is one file. `SQLiteMigrationTests` opens a copy with the current code and checks
/// every record comes back exactly.
///
/// The committed file was produced once, by running:
///
///     PAYCHAN_WRITE_STORE_FIXTURE=1 swift test --filter "writeV1Fixture"
///
/// Do not regenerate it after the v1 migration or this generator changes: it stands for files
/// already on users' disks. (`fixtureMatchesGenerator` checks the file and the generator agree.)
enum StoreV1Fixture {
    static let fileName = "store-v1"

    /// Server channels: open v2 with a payment, settled v1 with a settlement, opening v2 with
    /// the largest expiry and key index and an empty signature and script.
    static func servers() throws -> [ServerChannelRecord] {
        try (0..<3).map { try StoreFixtures.server(101 + $0, variant: $0) }
    }

    /// Client channels: open v2, refunded v1 (non-ASCII server id, settlement field), opening.
    static func clients() throws -> [ClientChannelRecord] {
        try (0..<3).map { try StoreFixtures.client(201 + $0, variant: $0) }
    }

    static func outputs() throws -> [WalletOutput] {
        [
            try StoreFixtures.walletOutput(301),
            try StoreFixtures.walletOutput(302, family: .walletChange, spentBy: try StoreFixtures.hash(303, tag: 9)),
        ]
    }

    /// The next index of each family the v1 store had reserved.
    static let nextKeyIndexes: [KeyFamily: UInt32] = [.serverChannel: 3, .clientChannel: 2]

    /// Writes the fixture to `path` (which must not exist) with the v1 schema only.
    static func write(to path: String) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try SQLiteSchema.migrator(now: 0).migrate(queue, upTo: "v1")
        let servers = try servers()
        let clients = try clients()
        let outputs = try outputs()
        try queue.write { db in
            for record in servers {
                try db.execute(
                    sql: """
                        INSERT INTO server_channels (
                            contract_txid, version, contract, channel_value, server_key_index, server_public_key,
                            client_public_key, client_output_script, expiry, best_value_to_server, best_signature,
                            state, settlement)
                        VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, x''), ?, ?, COALESCE(?, x''), ?, ?)
                        """,
                    arguments: [
                        Data(record.contractTxid.internalBytes), Int64(record.version.rawValue),
                        Data(record.contract.serialized), record.channelValue.satoshis, Int64(record.serverKeyIndex),
                        Data(record.serverPublicKey.bytes), Data(record.clientPublicKey.bytes),
                        Data(record.clientOutputScript.bytes), Int64(bitPattern: record.expiry),
                        record.bestValueToServer.satoshis, Data(record.bestSignature), record.state.rawValue,
                        record.settlement.map { Data($0.serialized) },
                    ])
            }
            for record in clients {
                try db.execute(
                    sql: """
                        INSERT INTO client_channels (
                            contract_txid, version, server_id, contract, channel_value, refund, client_key_index,
                            client_public_key, server_public_key, expiry, value_left, min_payment, state, settlement)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Data(record.contractTxid.internalBytes), Int64(record.version.rawValue), record.serverID,
                        Data(record.contract.serialized), record.channelValue.satoshis, Data(record.refund.serialized),
                        Int64(record.clientKeyIndex), Data(record.clientPublicKey.bytes),
                        Data(record.serverPublicKey.bytes), Int64(bitPattern: record.expiry), record.valueLeft.satoshis,
                        record.minPayment.satoshis, record.state.rawValue,
                        record.settlement.map { Data($0.serialized) },
                    ])
            }
            for output in outputs {
                try db.execute(
                    sql: """
                        INSERT INTO wallet_outputs (txid, output_index, value, script_pub_key, key_family, key_index,
                            spent_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Data(output.outpoint.txid.internalBytes), Int64(output.outpoint.index), output.value.satoshis,
                        Data(output.scriptPubKey.bytes), Int64(output.keyFamily.rawValue), Int64(output.keyIndex),
                        output.spentBy.map { Data($0.internalBytes) },
                    ])
            }
            for (family, next) in nextKeyIndexes {
                try db.execute(
                    sql: "INSERT INTO key_indexes (family, next_index) VALUES (?, ?)",
                    arguments: [Int64(family.rawValue), Int64(next)])
            }
        }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }

    /// Every table's rows and the schema of a database file, as text, for comparing two files.
    static func dump(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var lines = try String.fetchAll(
                db, sql: "SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_master ORDER BY name")
            lines.append("application_id \(try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0)")
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for table in tables {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { "\(table): \($0.description)" }
                lines += rows.sorted()
            }
            return lines
        }
    }

    /// The committed fixture file.
    static func committedURL() throws -> URL {
        guard let url = Bundle.module.url(forResource: fileName, withExtension: "sqlite", subdirectory: "Fixtures")
        else { throw StoreFixtures.Failure(description: "Fixtures/\(fileName).sqlite is not in the test bundle") }
        return url
    }

    /// Where the fixture lives in the source tree (for the generator).
    static let sourceURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(fileName).sqlite")
}
