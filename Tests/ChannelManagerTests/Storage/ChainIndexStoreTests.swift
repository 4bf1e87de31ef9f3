import BitcoinPrimitives
import ChannelManager
import Foundation
import Testing

/// The chain follower's index in every store: ``ChainIndex/apply(_:)``'s rules, kept alike by
/// the in-memory and the SQLite store.
@Suite("ChainIndexStore conformance")
struct ChainIndexStoreTests {
    /// A transaction spending `outpoint`.
    static func spender(of outpoint: OutPoint, seed: Int) throws -> Transaction {
        var transaction = try StoreFixtures.transaction(seed, tag: 70, value: 1_000, witness: seed % 2 == 0)
        transaction.inputs[0].previousOutput = outpoint
        return transaction
    }

    static func position(_ height: Int) throws -> BlockPosition {
        BlockPosition(height: height, hash: try StoreFixtures.hash(height, tag: 90))
    }

    @Test("cursor, watches, spends and blocks round-trip", arguments: StoreKind.allCases)
    func roundTrip(kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.chainIndex() == ChainIndex())
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 3)
            let other = OutPoint(txid: try StoreFixtures.hash(2, tag: 71), index: 0)
            let own = try StoreFixtures.transaction(5, tag: 72, value: 5_000, witness: true)
            let theirs = try StoreFixtures.hash(6, tag: 72)
            let spend = ChainSpend(transaction: try Self.spender(of: watched, seed: 4), block: try Self.position(11))
            try await store.write([
                .chainIndex(.cursor(try Self.position(10))),
                .chainIndex(.watchOutpoint(watched)),
                .chainIndex(.watchOutpoint(other)),
                .chainIndex(.watchTransaction(own.txid, own: own)),
                .chainIndex(.watchTransaction(theirs, own: nil)),
                .chainIndex(.watchScript(Script(bytes: [0x00, 0x14] + [UInt8](repeating: 7, count: 20)))),
                .chainIndex(.watchScript(.empty)),
                .chainIndex(.outpointSpend(watched, spend)),
                .chainIndex(.transactionBlock(own.txid, try Self.position(11), leftChain: false)),
                .chainIndex(.transactionBlock(theirs, nil, leftChain: true)),
                .chainIndex(.cursor(try Self.position(11))),
            ])
            let expected = ChainIndex(
                cursor: try Self.position(11),
                outpoints: [
                    watched: WatchedOutpoint(outpoint: watched, spend: spend),
                    other: WatchedOutpoint(outpoint: other),
                ],
                transactions: [
                    own.txid: WatchedTransaction(txid: own.txid, ownTransaction: own, block: try Self.position(11)),
                    theirs: WatchedTransaction(txid: theirs, leftChain: true),
                ],
                scripts: [Script(bytes: [0x00, 0x14] + [UInt8](repeating: 7, count: 20)), .empty])
            #expect(try await store.chainIndex() == expected)

            // Watching again keeps what is known; a spend or block can be taken back.
            try await store.write([
                .chainIndex(.watchOutpoint(watched)),
                .chainIndex(.watchTransaction(own.txid, own: nil)),
                .chainIndex(.watchTransaction(theirs, own: nil)),
                .chainIndex(.watchScript(.empty)),
            ])
            #expect(try await store.chainIndex() == expected)
            try await store.write([
                .chainIndex(.outpointSpend(watched, nil)),
                .chainIndex(.transactionBlock(own.txid, nil, leftChain: true)),
            ])
            let index = try await store.chainIndex()
            #expect(index.outpoints[watched] == WatchedOutpoint(outpoint: watched))
            #expect(
                index.transactions[own.txid] == WatchedTransaction(txid: own.txid, ownTransaction: own, leftChain: true)
            )
        }
    }

    @Test("an own transaction given later is added to a watched one", arguments: StoreKind.allCases)
    func ownAddedLater(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let own = try StoreFixtures.transaction(8, tag: 72, value: 5_000)
            try await store.write([
                .chainIndex(.watchTransaction(own.txid, own: nil)),
                .chainIndex(.transactionBlock(own.txid, try Self.position(3), leftChain: false)),
                .chainIndex(.watchTransaction(own.txid, own: own)),
            ])
            #expect(
                try await store.chainIndex().transactions[own.txid]
                    == WatchedTransaction(txid: own.txid, ownTransaction: own, block: try Self.position(3)))
        }
    }

    @Test("updates that do not fit are refused alone, with the rest of their enqueue", arguments: StoreKind.allCases)
    func refusals(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 0)
            try await store.write([.chainIndex(.watchOutpoint(watched)), .chainIndex(.cursor(try Self.position(5)))])
            let before = try await store.chainIndex()
            let unwatched = OutPoint(txid: try StoreFixtures.hash(2, tag: 71), index: 0)
            let own = try StoreFixtures.transaction(9, tag: 72, value: 1_000)
            let refused: [[StoreWrite]] = [
                [
                    .chainIndex(.cursor(try Self.position(6))),
                    .chainIndex(
                        .outpointSpend(
                            unwatched,
                            ChainSpend(
                                transaction: try Self.spender(of: unwatched, seed: 1), block: try Self.position(6))
                        )),
                ],
                [
                    .chainIndex(.cursor(try Self.position(6))),
                    .chainIndex(.transactionBlock(own.txid, nil, leftChain: false)),
                ],
                [.chainIndex(.watchTransaction(try StoreFixtures.hash(3, tag: 72), own: own))],
                [.chainIndex(.cursor(BlockPosition(height: -1, hash: .zero)))],
                [
                    .chainIndex(.watchOutpoint(unwatched)),
                    .chainIndex(
                        .outpointSpend(
                            watched,
                            ChainSpend(
                                transaction: try Self.spender(of: watched, seed: 2),
                                block: BlockPosition(height: -3, hash: .zero)))),
                ],
            ]
            for writes in refused {
                let error = await #expect(throws: StoreError.self) { try await store.write(writes) }
                #expect(error?.kind == .inconsistent)
            }
            // The store goes on: nothing of the refused enqueues was applied, later ones are.
            #expect(try await store.chainIndex() == before)
            try await store.write([.chainIndex(.cursor(try Self.position(6)))])
            #expect(try await store.chainIndex().cursor == (try Self.position(6)))
        }
    }
}

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
                transaction: try ChainIndexStoreTests.spender(of: watched, seed: 2),
                block: try ChainIndexStoreTests.position(4))
            let written: ChainIndex
            do {
                let store = try SQLiteChannelStore(path: path)
                defer { store.close() }
                try await store.write([
                    .chainIndex(.watchOutpoint(watched)), .chainIndex(.outpointSpend(watched, spend)),
                    .chainIndex(.watchTransaction(own.txid, own: own)),
                    .chainIndex(.transactionBlock(own.txid, nil, leftChain: true)),
                    .chainIndex(.cursor(try ChainIndexStoreTests.position(4))),
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
                                transaction: try ChainIndexStoreTests.spender(of: watched, seed: 2),
                                block: try ChainIndexStoreTests.position(4)))),
                    .chainIndex(.watchTransaction(own.txid, own: own)),
                    .chainIndex(.transactionBlock(own.txid, try ChainIndexStoreTests.position(4), leftChain: false)),
                    .chainIndex(.cursor(try ChainIndexStoreTests.position(4))),
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
