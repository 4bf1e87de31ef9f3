import Foundation

/// SplitMix64: a small seeded generator, so that a soak's schedule reproduces from its seed.
struct SoakRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// How long a soak runs and from which seed: `PAYCHAN_SOAK_KILLS` (kills per side; the normal
/// suite uses a few so it stays quick) and `PAYCHAN_SOAK_SEED` (random when unset; printed).
struct SoakSettings {
    static let defaultKills = 15

    let kills: Int
    let seed: UInt64

    static func fromEnvironment() -> SoakSettings {
        let environment = ProcessInfo.processInfo.environment
        let kills = environment["PAYCHAN_SOAK_KILLS"].flatMap { Int($0) }.map { max($0, 1) } ?? defaultKills
        let seed = environment["PAYCHAN_SOAK_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        return SoakSettings(kills: kills, seed: seed)
    }
}
