import Foundation
import PaychanFuzzTargets
import Testing

/// Replays every committed corpus file (seeds, inputs the fuzzer kept, and crash regressions)
/// through its fuzz target in a normal test run: any of them trapping fails the suite.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func replaysCorpus(_ target: FuzzTarget) throws {
        let files = FuzzCorpus.files(at: Self.corpus.appendingPathComponent(target.rawValue).path)
        #expect(files.count >= 5, "seed corpus of \(target.rawValue) missing")
        for file in files {
            let bytes = try #require(FuzzCorpus.read(file))
            target.run(bytes)
        }
    }

    @Test func chunksSplitAsDocumented() {
        let input = FuzzChunks.encode([(0x02, [1, 2, 3]), (0x40, [])]) + [0x08, 0x00, 0x09, 7]
        let chunks = Array(FuzzChunks(input))
        #expect(chunks.map(\.control) == [0x02, 0x40, 0x08])
        #expect(chunks.map(\.body) == [[1, 2, 3], [], [7]])
    }

    @Test func emptyInputsAreHarmless() {
        for target in FuzzTarget.allCases { target.run([]) }
    }
}
