import BitcoinPrimitives
import Testing

/// Hostile bytes never trap the transaction parser: they parse or throw ``ParseError``.
@Suite struct TransactionFuzzTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A segwit transaction from BIP143 (native P2WPKH example, signed).
    static let segwitHex =
        "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000"

    /// Parses and, when it succeeds, checks the round trip. Returns whether it parsed.
    @discardableResult
    static func parseNeverTraps(_ bytes: [UInt8]) -> Bool {
        do {
            let transaction = try Transaction(bytes: bytes)
            #expect(transaction.serialized == bytes)
            return true
        } catch {
            return false
        }
    }

    @Test func everyTruncationOfRealTransactionsIsRefused() throws {
        let legacy = try Transaction(hex: TransactionFuzzTests.segwitHex).serializedWithoutWitness
        for bytes in [try [UInt8](testHex: Self.segwitHex), legacy] {
            #expect(Self.parseNeverTraps(bytes))
            for length in 0..<bytes.count {
                #expect(!Self.parseNeverTraps(Array(bytes.prefix(length))), "prefix of \(length) bytes parsed")
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(state: 0x5eed_0001)
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...300, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Self.parseNeverTraps(bytes) { parsed += 1 }
        }
        print("random transactions: \(parsed) of 20000 random byte strings happened to parse")
    }

    @Test func mutatedRealTransactionsNeverTrap() throws {
        var rng = SplitMix64(state: 0x5eed_0002)
        let original = try [UInt8](testHex: Self.segwitHex)
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
                }
                if bytes.isEmpty { break }
            }
            if Self.parseNeverTraps(bytes) { parsed += 1 }
        }
        print("mutated transactions: \(parsed) of 20000 mutations still parsed (and round-tripped)")
    }

    @Test func hugeAnnouncedCountsAreRefusedWithoutAllocation() throws {
        // Version, then an input count of 0xffffffff, then nothing.
        let bytes: [UInt8] = [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff]
        #expect(throws: ParseError.self) { try Transaction(bytes: bytes) }
        // Segwit marker with a 2^64-1 witness item count.
        var segwit = Array(try Transaction(hex: Self.segwitHex).serializedWithoutWitness.dropLast(4))
        segwit.insert(contentsOf: [0, 1], at: 4)
        segwit += [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        #expect(throws: ParseError.self) { try Transaction(bytes: segwit) }
    }
}
