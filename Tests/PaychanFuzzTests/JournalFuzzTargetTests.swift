import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanFuzzTargets
import Testing

/// The journal fuzz target's harness: its seeds are valid journals the replay reads whole,
/// the committed seed files are those seeds, and the checksum repair (off with control bit 0)
/// is what lets a changed record through.
@Suite struct JournalFuzzTargetTests {
    @Test func seedsAreJournalsTheReplayReads() {
        #expect(FuzzJournal.seeds().map(FuzzJournal.recordsFound) == [1, 3, 1, 3, 2, 1])
        for seed in FuzzJournal.seeds() { FuzzTarget.journal.run(seed) }
    }

    @Test func committedSeedsAreTheBuiltOnes() throws {
        for (index, seed) in FuzzJournal.seeds().enumerated() {
            let path = CorpusReplayTests.corpus.appendingPathComponent("journal/seed-\(index)").path
            #expect(FuzzCorpus.read(path) == seed, "Fuzz/corpus/journal/seed-\(index) is stale")
        }
    }

    @Test func checksumsAreRepairedUnlessAsked() throws {
        let identity = [UInt8](repeating: 9, count: 16)
        let entries: [JournaledPayment] = [
            .client(contractTxid: Hashing.sha256d([1]), valueLeft: try Amount(satoshis: 5_000))
        ]
        func record(_ sequence: UInt64) -> [UInt8] {
            var bytes = PaymentJournalRecord.encodeUnpadded(
                identity: identity, base: 3, sequence: sequence, entries: entries)
            // The amount's low byte changed after the checksum was made.
            bytes[PaymentJournalRecord.headerSize + 33] ^= 0x55
            return bytes
        }
        let repaired = FuzzChunks.encode([(0, record(4)), (0, record(5))])
        let kept = FuzzChunks.encode([(0, record(4)), (1, record(5))])
        #expect(FuzzJournal.recordsFound(repaired) == 2)
        #expect(FuzzJournal.recordsFound(kept) == 1)
        FuzzTarget.journal.run(repaired)
        FuzzTarget.journal.run(kept)
    }
}
