import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

@testable import ChannelManager

/// Opening a store reads its journal only as far as the current cycle's records go
/// (``SQLitePaymentJournal/replayable(in:identity:base:)``): 64 KiB first, more while the
/// records run to the end of what was read. Every record is still found, whatever its size
/// and wherever a chunk ends.
@Suite("Payment journal read in chunks")
struct PaymentJournalChunkedReadTests {
    static let identity = PaymentJournalTests.identity
    static let base: UInt64 = 77

    /// A journal file of `blocks` blocks holding a record per batch in `batches`, one after the
    /// other from the first block, each batch's entries taken from the codec tests' shapes.
    static func journal(_ path: String, blocks: Int, batches: [Int]) throws -> (
        PaymentJournalFile, [[JournaledPayment]]
    ) {
        let file = try #require(try PaymentJournalFile.open(path: path, blocks: blocks))
        try file.preallocate()
        var offset = 0
        var written: [[JournaledPayment]] = []
        for (index, count) in batches.enumerated() {
            let entries = try PaymentJournalTests.entries(count: count)
            let record = PaymentJournalRecord.encode(
                identity: identity, base: base, sequence: base + UInt64(index) + 1, entries: entries)
            try file.write(record, paddedTo: record.count, at: offset)
            offset += record.count
            written.append(entries)
        }
        return (file, written)
    }

    /// Runs `body` on a journal of `blocks` blocks in a temporary directory, holding `batches`.
    static func withJournal(
        blocks: Int, batches: [Int], _ body: (PaymentJournalFile, [[JournaledPayment]]) throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let (file, written) = try journal(
                directory.appendingPathComponent("journal").path, blocks: blocks, batches: batches)
            defer { file.close() }
            try body(file, written)
        }
    }

    @Test(
        "records of one and of several blocks are all found, across chunk ends",
        arguments: [
            // Single-block records past several chunk ends.
            Array(repeating: 1, count: 70),
            // A several-block record starting two blocks before the first chunk's end.
            Array(repeating: 1, count: 14) + [60] + Array(repeating: 1, count: 30),
            // Records filling the first chunk exactly, then one more.
            Array(repeating: 1, count: 16) + [1],
            // One record larger than two chunks.
            [2_000, 1],
        ])
    func everyRecordFound(batches: [Int]) async throws {
        try await Self.withJournal(blocks: 256, batches: batches) { file, written in
            let records = try SQLitePaymentJournal.replayable(in: file, identity: Self.identity, base: Self.base)
            // More than the first chunk was needed, and never more than the file.
            #expect(file.bytesRead > 64 * 1024 && file.bytesRead <= 2 * file.size)
            #expect(records.map(\.entries) == written)
            #expect(records.map(\.sequence) == (1...UInt64(batches.count)).map { Self.base + $0 })
            // The same as reading the whole file at once.
            let whole = try file.withPrefix(file.size) {
                SQLitePaymentJournal.replayable($0, identity: Self.identity, base: Self.base)
            }
            #expect(whole.map(\.entries) == written)
        }
    }

    @Test("a header of this cycle that claims more than the file holds ends the records, read to the end at most")
    func oversizedClaim() async throws {
        try await Self.withJournal(blocks: 64, batches: Array(repeating: 1, count: 20)) { file, written in
            // Record 21's header, with a payload length of 4 GiB and nothing after it.
            var header = PaymentJournalRecord.magic + Self.identity
            withUnsafeBytes(of: Self.base.littleEndian) { header += $0 }
            withUnsafeBytes(of: (Self.base + 21).littleEndian) { header += $0 }
            withUnsafeBytes(of: UInt32.max.littleEndian) { header += $0 }
            header += [UInt8](repeating: 0xAB, count: PaymentJournalRecord.blockSize - header.count)
            try file.write(header, paddedTo: header.count, at: 20 * PaymentJournalRecord.blockSize)
            let records = try SQLitePaymentJournal.replayable(in: file, identity: Self.identity, base: Self.base)
            #expect(records.map(\.entries) == written)
        }
    }

    @Test("a journal whose first block is of another cycle is read no further than its first chunk")
    func staleFirstBlock() async throws {
        try await Self.withJournal(blocks: 64, batches: Array(repeating: 1, count: 40)) { file, _ in
            // Folded through base + 40: every record on file is of the cycle before.
            let records = try SQLitePaymentJournal.replayable(in: file, identity: Self.identity, base: Self.base + 40)
            #expect(records.isEmpty)
            #expect(file.bytesRead == 64 * 1024)
        }
    }

    @Test(
        "an observer's unlocked reader finds the same records, reading only as far as they go",
        arguments: [3, 70])
    func observerReader(records count: Int) async throws {
        try await Self.withJournal(blocks: 1024, batches: Array(repeating: 1, count: count)) { file, written in
            let reader = try #require(try PaymentJournalReader(path: file.path))
            #expect(reader.size == file.size)
            let records = try SQLitePaymentJournal.replayable(in: reader, identity: Self.identity, base: Self.base)
            #expect(records.map(\.entries) == written)
            // 3 records: the first 64 KiB; 70 records (280 KiB): up to the 512 KiB chunk, read
            // once each (each chunk extends the last), never the whole 4 MiB.
            let needed = count * PaymentJournalRecord.blockSize
            #expect(reader.bytesRead == (needed < 64 * 1024 ? 64 * 1024 : 512 * 1024))
        }
    }

    @Test("an observer's reader of a missing journal is nil, of an unreadable one an error")
    func observerReaderMissing() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("none").path
            #expect(try PaymentJournalReader(path: path) == nil)
            // A directory opens read-only, but a read of it fails (on a file system that gives it
            // a size at all).
            let reader = try #require(try PaymentJournalReader(path: directory.path))
            if reader.size > 0 {
                #expect(throws: StoreError.self) { try reader.withPrefix(reader.size) { $0.count } }
            }
        }
    }
}
