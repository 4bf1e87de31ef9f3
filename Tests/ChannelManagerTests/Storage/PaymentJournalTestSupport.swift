import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

@_spi(StoreTesting) @testable import ChannelManager

/// Helpers of the payment journal tests: payments, crash images of a live store's files, and
/// raw looks at a database and its journal that go around the store.
enum JournalTesting {
    /// The suffixes of a store's files that a crash image copies (`-shm` is rebuilt on open).
    static let suffixes = ["", "-wal", "-paylog"]

    static func serverPayment(_ record: ServerChannelRecord, _ value: Int64, signature: [UInt8]) throws -> StoreWrite {
        .server(
            .payment(
                contractTxid: record.contractTxid, bestValueToServer: try StoreFixtures.amount(value),
                signature: signature))
    }

    static func clientPayment(_ record: ClientChannelRecord, _ valueLeft: Int64) throws -> StoreWrite {
        .client(.payment(contractTxid: record.contractTxid, valueLeft: try StoreFixtures.amount(valueLeft)))
    }

    /// `record` with the payment columns `payment` sets.
    static func applying(_ value: Int64, signature: [UInt8], to record: ServerChannelRecord) throws
        -> ServerChannelRecord
    {
        var record = record
        record.bestValueToServer = try StoreFixtures.amount(value)
        record.bestSignature = signature
        return record
    }

    static func applying(_ valueLeft: Int64, to record: ClientChannelRecord) throws -> ClientChannelRecord {
        var record = record
        record.valueLeft = try StoreFixtures.amount(valueLeft)
        return record
    }

    /// Copies the files of the database at `source` to `destination` (same suffixes), as a kill
    /// at this instant would leave them. A file that is absent is skipped.
    static func copyImage(of source: String, to destination: String) throws {
        let files = FileManager.default
        for suffix in suffixes where files.fileExists(atPath: source + suffix) {
            try? files.removeItem(atPath: destination + suffix)
            try files.copyItem(atPath: source + suffix, toPath: destination + suffix)
        }
    }

    /// A `store_meta` value read straight from the file (no store, no journal).
    static func meta(_ path: String, _ key: String) throws -> String? {
        try RawDatabase.fetchStrings(path, "SELECT value FROM store_meta WHERE key = '\(key)'").first
    }

    /// The folded sequence number stored in the file.
    /// The size of the file at `path`, nil when there is none.
    static func fileSize(_ path: String) -> Int? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue
    }

    static func folded(_ path: String) throws -> UInt64? {
        try meta(path, SQLitePaymentJournal.Meta.folded).flatMap { UInt64($0) }
    }

    /// The journal identity stored in the file.
    static func identity(_ path: String) throws -> [UInt8]? {
        try meta(path, SQLitePaymentJournal.Meta.identity).flatMap { [UInt8](hex: $0) }
    }

    /// A server channel's best value, read straight from the file.
    static func rawServerValue(_ path: String, _ record: ServerChannelRecord) throws -> Int64? {
        try RawDatabase.fetchStrings(
            path,
            "SELECT best_value_to_server FROM server_channels WHERE contract_txid = x'\(hex(record.contractTxid))'"
        ).first.flatMap { Int64($0) }
    }

    /// A client channel's value left, read straight from the file.
    static func rawClientValue(_ path: String, _ record: ClientChannelRecord) throws -> Int64? {
        try RawDatabase.fetchStrings(
            path, "SELECT value_left FROM client_channels WHERE contract_txid = x'\(hex(record.contractTxid))'"
        ).first.flatMap { Int64($0) }
    }

    private static func hex(_ txid: Hash256) -> String {
        txid.internalBytes.map { String(format: "%02x", $0) }.joined()
    }

    /// One record found in a journal file.
    struct FoundRecord {
        let offset: Int
        let sequence: UInt64
        let entries: [JournaledPayment]
    }

    /// The consecutive records of the cycle after `base` in the journal file at `path`, as the
    /// store's replay reads them (or, with `offset` and `firstSequence`, from a later block).
    static func records(
        inJournal path: String, identity: [UInt8], base: UInt64, from offset: Int = 0, firstSequence: UInt64? = nil
    ) throws -> [FoundRecord] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { contents in
            var found: [FoundRecord] = []
            var offset = offset
            var sequence = firstSequence ?? base + 1
            while offset < contents.count,
                let record = PaymentJournalRecord.decode(
                    contents, at: offset, identity: identity, base: base, sequence: sequence)
            {
                found.append(FoundRecord(offset: offset, sequence: sequence, entries: record.entries))
                offset += record.size
                sequence += 1
            }
            return found
        }
    }

    /// Flips one byte of the file at `path`.
    static func flipByte(inFile path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        guard let byte = try handle.read(upToCount: 1)?.first else {
            throw StoreFixtures.Failure(description: "no byte at \(offset) in \(path)")
        }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte ^ 0x5a])
    }

    /// SQLite transactions so far (commits that are not journal writes): a change shows a fold.
    static func sqliteCommits(_ store: SQLiteChannelStore) -> Int {
        store.statistics.commits - store.statistics.journalWrites
    }

    /// A store at `path` whose journal is folded by its writes, reads and close only, never by
    /// an idle moment: a test that copies the journal before it is folded must not race the
    /// idle fold when a loaded machine pauses it for longer than the idle delay.
    static func storeWithoutIdleFold(
        _ path: String, committer: SQLiteChannelStore.Committer = .dedicatedThread, paymentJournal: Bool = true,
        maxTicketsPerCommit: Int = 4_096
    ) throws(StoreError) -> SQLiteChannelStore {
        try SQLiteChannelStore(
            path: path, clock: SystemClock(), busyTimeout: 5, maxTicketsPerCommit: maxTicketsPerCommit,
            committer: committer, paymentJournal: paymentJournal, readOnly: false,
            idleFoldNanoseconds: noIdleFold)
    }

    /// Expects `store` to hold `server` paid `value` with `signature`, and `client` with
    /// `valueLeft` left, every other field as in the records given.
    static func expectPaid(
        _ store: SQLiteChannelStore, _ server: ServerChannelRecord, _ value: Int64, signature: [UInt8],
        _ client: ClientChannelRecord, left valueLeft: Int64, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(
            try await store.serverChannel(contractTxid: server.contractTxid)
                == applying(value, signature: signature, to: server), sourceLocation: sourceLocation)
        #expect(
            try await store.clientChannel(contractTxid: client.contractTxid) == applying(valueLeft, to: client),
            sourceLocation: sourceLocation)
    }

    /// An idle delay no test waits for: an hour.
    static let noIdleFold: UInt64 = 3_600_000_000_000

    /// A store on `path` that owns the journal, now that the store that held it closed.
    ///
    /// A child process that another test of this process forks holds a copy of every open
    /// descriptor until it execs (`O_CLOEXEC` closes them only then), and with the journal's
    /// descriptor its lock: a store opened in that moment observes instead. On a loaded machine
    /// the moment can last; this opens the store again for up to 10 s. A lock still held after
    /// that is returned as it is, for the caller's expectation to fail on.
    static func openOwning(_ path: String) async throws -> SQLiteChannelStore {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let store = try SQLiteChannelStore(path: path)
            if store.usesPaymentJournal || ContinuousClock.now >= deadline { return store }
            store.close()
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `attempt` in a fresh directory until it returns true, at most `attempts` times.
    /// An attempt returns false, before asserting anything, when a precondition it depends on
    /// did not hold (most often: an idle fold ran where the test needs the payments unfolded,
    /// because the machine was too loaded to pay within the idle-fold delay).
    static func retryingUnderLoad(
        _ attempts: Int = 6, sourceLocation: SourceLocation = #_sourceLocation,
        _ attempt: (_ directory: URL) async throws -> Bool
    ) async throws {
        for _ in 0..<attempts {
            if try await withTemporaryDirectory({ try await attempt($0) }) { return }
        }
        Issue.record("the precondition never held in \(attempts) attempts", sourceLocation: sourceLocation)
    }
}
