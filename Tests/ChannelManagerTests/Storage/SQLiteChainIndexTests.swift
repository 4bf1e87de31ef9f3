import BitcoinPrimitives
import ChannelManager
import ChannelStoreConformance
import Foundation
import Testing

/// What only the SQLite store shows: the index survives reopening, and a bad row is `.corrupt`.
@Suite("SQLiteChannelStore chain index")
struct SQLiteChainIndexTests {
    @Test("the index is read back whole after reopening")
    func survivesReopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 1)
            let own = try StoreFixtures.transaction(3, tag: 72, value: 2_000, witness: true)
            let spend = ChainSpend(
                transaction: try ChainIndexFixtures.spender(of: watched, seed: 2),
                block: try ChainIndexFixtures.position(4))
            let written: ChainIndex
            do {
                let store = try SQLiteChannelStore(path: path)
                defer { store.close() }
                try await store.write([
                    .chainIndex(.watchOutpoint(watched)), .chainIndex(.outpointSpend(watched, spend)),
                    .chainIndex(.watchTransaction(own.txid, own: own)),
                    .chainIndex(.transactionBlock(own.txid, nil, leftChain: true)),
                    .chainIndex(.cursor(try ChainIndexFixtures.position(4))),
                ])
                written = try await store.chainIndex()
            }
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            #expect(try await store.chainIndex() == written)
            #expect(written.outpoints[watched]?.spend == spend)
        }
    }

    @Test(
        "a bad chain index row reads as .corrupt",
        arguments: [
            "UPDATE chain_cursor SET block_hash = x'00'",
            "UPDATE chain_cursor SET height = -2",
            "UPDATE chain_watched_outpoints SET spending_tx = x'0102'",
            "UPDATE chain_watched_outpoints SET spent_height = NULL",
            "UPDATE chain_watched_transactions SET own_tx = NULL, left_chain = 2",
            "UPDATE chain_watched_transactions SET block_hash = NULL",
            "INSERT INTO chain_watched_scripts (script) VALUES (42)",
        ])
    func corruptRows(sql: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 1)
            let own = try StoreFixtures.transaction(3, tag: 72, value: 2_000)
            do {
                let store = try SQLiteChannelStore(path: path)
                defer { store.close() }
                try await store.write([
                    .chainIndex(.watchOutpoint(watched)),
                    .chainIndex(
                        .outpointSpend(
                            watched,
                            ChainSpend(
                                transaction: try ChainIndexFixtures.spender(of: watched, seed: 2),
                                block: try ChainIndexFixtures.position(4)))),
                    .chainIndex(.watchTransaction(own.txid, own: own)),
                    .chainIndex(.transactionBlock(own.txid, try ChainIndexFixtures.position(4), leftChain: false)),
                    .chainIndex(.cursor(try ChainIndexFixtures.position(4))),
                ])
            }
            try RawDatabase.execute(path, sql)
            let store = try SQLiteChannelStore(path: path)
            defer { store.close() }
            let error = await #expect(throws: StoreError.self) { _ = try await store.chainIndex() }
            #expect(error?.kind == .corrupt)
        }
    }
}
