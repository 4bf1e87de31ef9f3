import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import GRDB
import Testing

/// Rows and files that do not hold what the store wrote: every read reports `.corrupt` (or the
/// file is refused), naming what is wrong; nothing traps.
@Suite("SQLiteChannelStore corruption")
struct SQLiteCorruptionTests {
    /// A column, and garbage to write into it.
    struct Tamper: Sendable, CustomTestStringConvertible {
        let table: String
        let column: String
        let value: String

        var testDescription: String { "\(table).\(column) = \(value)" }
    }

    static let tampers: [Tamper] = [
        Tamper(table: "server_channels", column: "contract", value: "x'0100'"),
        Tamper(table: "server_channels", column: "contract", value: "'text'"),
        Tamper(table: "server_channels", column: "version", value: "3"),
        Tamper(table: "server_channels", column: "channel_value", value: "-5"),
        Tamper(table: "server_channels", column: "channel_value", value: "2100000000000001"),
        Tamper(table: "server_channels", column: "channel_value", value: "1.5"),
        Tamper(table: "server_channels", column: "server_key_index", value: "4294967296"),
        Tamper(table: "server_channels", column: "server_public_key", value: "x'02ff'"),
        Tamper(
            table: "server_channels", column: "client_public_key",
            value: "x'06" + String(repeating: "11", count: 64) + "'"),
        Tamper(table: "server_channels", column: "client_output_script", value: "5"),
        Tamper(table: "server_channels", column: "expiry", value: "'soon'"),
        Tamper(table: "server_channels", column: "best_signature", value: "7"),
        Tamper(table: "server_channels", column: "state", value: "'closed'"),
        Tamper(table: "server_channels", column: "settlement", value: "x'deadbeef'"),
        Tamper(table: "client_channels", column: "refund", value: "x''"),
        Tamper(table: "client_channels", column: "server_id", value: "x'00'"),
        Tamper(table: "client_channels", column: "value_left", value: "x'01'"),
        Tamper(table: "client_channels", column: "min_payment", value: "-1"),
        Tamper(table: "client_channels", column: "client_key_index", value: "-1"),
        Tamper(table: "client_channels", column: "state", value: "'open '"),
        Tamper(table: "client_channels", column: "server_public_key", value: "x'03'"),
    ]

    @Test("garbage in a channel column reads as .corrupt naming the table and the contract", arguments: tampers)
    func corruptColumn(tamper: Tamper) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try StoreFixtures.server(1, variant: 1)
            let client = try StoreFixtures.client(2)
            try await Self.store([.server(.channel(server)), .client(.channel(client))], at: path)
            let txid = tamper.table == "server_channels" ? server.contractTxid : client.contractTxid
            try RawDatabase.execute(path, "UPDATE \(tamper.table) SET \(tamper.column) = \(tamper.value)")

            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            let error = await #expect(throws: StoreError.self) {
                if tamper.table == "server_channels" {
                    _ = try await store.serverChannel(contractTxid: txid)
                } else {
                    _ = try await store.clientChannel(contractTxid: txid)
                }
            }
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains(tamper.table) == true, "\(String(describing: error))")
            #expect(error?.message.contains(txid.displayHex) == true, "\(String(describing: error))")
            #expect(error?.message.contains(tamper.column) == true, "\(String(describing: error))")
            // Lists fail the same way rather than skip the row (a list by state does not select
            // a row whose state is no state).
            guard tamper.column != "state" else { return }
            await #expect(throws: StoreError.self) {
                _ = try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases))
                _ = try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases))
            }
        }
    }

    @Test("a contract that is not the row's txid, or a txid that is not 32 bytes, is .corrupt")
    func txidMismatch() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let server = try StoreFixtures.server(1)
            let other = try StoreFixtures.server(2)
            try await Self.store([.server(.channel(server))], at: path)
            try RawDatabase.execute(
                path, "UPDATE server_channels SET contract = ?", arguments: [Data(other.contract.serialized)])
            let store = try SQLiteChannelStore(path: path)
            let error = await #expect(throws: StoreError.self) {
                _ = try await store.serverChannel(contractTxid: server.contractTxid)
            }
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains(server.contractTxid.displayHex) == true)
            store.close()

            try RawDatabase.execute(path, "UPDATE server_channels SET contract_txid = x'0102'")
            let reopened = try SQLiteChannelStore(path: path)
            defer { reopened.close() }
            let short = await #expect(throws: StoreError.self) { _ = try await reopened.serverChannels(in: [.open]) }
            #expect(short?.kind == .corrupt)
            #expect(short?.message.contains("contract_txid") == true)
        }
    }

    @Test("garbage in wallet outputs and key indexes is .corrupt")
    func corruptWalletAndKeys() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            try await Self.store([.walletOutputAdded(try StoreFixtures.walletOutput(1))], at: path)
            for (column, value) in [
                ("key_family", "9"), ("spent_by", "x'00'"), ("value", "'many'"), ("is_coinbase", "2"),
            ] {
                try RawDatabase.execute(path, "UPDATE wallet_outputs SET \(column) = \(value)")
                let store = try SQLiteChannelStore(path: path)
                let error = await #expect(throws: StoreError.self) {
                    _ = try await store.walletOutputs(unspentOnly: false)
                }
                #expect(error?.kind == .corrupt)
                #expect(error?.message.contains("wallet_outputs") == true)
                #expect(error?.message.contains(column) == true)
                store.close()
                // Put back a valid row for the next column.
                try RawDatabase.execute(path, "DELETE FROM wallet_outputs")
                try await Self.store([.walletOutputAdded(try StoreFixtures.walletOutput(1))], at: path)
            }

            try RawDatabase.execute(path, "INSERT INTO key_indexes (family, next_index) VALUES (0, 'x')")
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            let error = await #expect(throws: StoreError.self) { _ = try await store.reserveKeyIndex(.serverChannel) }
            #expect(error?.kind == .corrupt)
            // That reservation alone failed: the store goes on.
            #expect(try await store.reserveKeyIndex(.clientChannel) == 0)
        }
    }

    @Test("a file that is not a database is .corrupt; another program's database is .unsupportedSchema")
    func foreignFiles() async throws {
        try await withTemporaryDirectory { directory in
            let garbage = directory.appendingPathComponent("garbage.sqlite")
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: garbage)
            let error = #expect(throws: StoreError.self) { _ = try SQLiteChannelStore(path: garbage.path) }
            #expect(error?.kind == .corrupt)

            let other = directory.appendingPathComponent("other.sqlite").path
            try RawDatabase.execute(other, "CREATE TABLE notes (body TEXT)")
            let foreign = #expect(throws: StoreError.self) { _ = try SQLiteChannelStore(path: other) }
            #expect(foreign?.kind == .unsupportedSchema)

            let otherApp = directory.appendingPathComponent("other-app.sqlite").path
            try RawDatabase.execute(otherApp, "PRAGMA application_id = 42")
            let app = #expect(throws: StoreError.self) { _ = try SQLiteChannelStore(path: otherApp) }
            #expect(app?.kind == .unsupportedSchema)

            let unwritable = directory.appendingPathComponent("missing-dir/store.sqlite").path
            let io = #expect(throws: StoreError.self) { _ = try SQLiteChannelStore(path: unwritable) }
            #expect(io?.kind == .io)
        }
    }

    /// Writes through a store, then closes it.
    static func store(_ writes: [StoreWrite], at path: String) async throws {
        let store = try SQLiteChannelStore(path: path)
        defer { store.close() }
        try await store.write(writes)
    }
}
