import BitcoinPrimitives
import ChannelStoreConformance
import Testing

@testable import ChannelManager

/// Coin selection's largest-first order, built without sorting every output.
@Suite struct LargestFirstTests {
    @Test("yields every output, largest first and ties by outpoint, past the scanned picks too")
    func sameOrderAsAFullSort() throws {
        // Values repeat so that ties are common; more outputs than the scanned picks.
        let outputs = try (0..<200).map { seed in
            var output = try StoreFixtures.walletOutput(seed)
            output.value = try Amount(satoshis: Int64(10_000 + (seed * 7919) % 13 * 1_000))
            return output
        }
        let expected = outputs.sorted { a, b in
            a.value != b.value ? a.value > b.value : StoreOrdering.wallet(a, b)
        }
        for count in [0, 1, 2, LargestFirst.scannedPicks, LargestFirst.scannedPicks + 1, outputs.count] {
            let slice = Array(outputs.prefix(count))
            let reference = expected.filter { candidate in slice.contains(candidate) }
            #expect(Array(LargestFirst(slice)) == reference, "\(count) outputs")
        }
    }
}
