import PaychanPostgres

/// The sizes of one `paychan bench` run: the full set, or the reduced `--quick` set for CI.
struct BenchSettings: Sendable {
    /// Whether this is the reduced `--quick` set.
    var quick: Bool
    /// Measured rounds per figure, after one warm-up round (the median is reported).
    var repeats: Int
    /// Signatures, verifications and sighashes per floor round.
    var floorIterations: Int
    /// Payments per round of the raw state machines.
    var machinePayments: Int
    /// Sequential payments per round on one managed channel.
    var singleChannelPayments: Int
    /// Channels paying at once in the many-channel figures.
    var concurrentChannels: Int
    /// Payments per channel per round in the many-channel figures.
    var paymentsPerConcurrentChannel: Int
    /// Settled channels already in the server's store, for the store-scaling figures (smaller first).
    var settledChannelCounts: [Int]
    /// Idle channels the server holds for the memory figure.
    var idleChannels: Int
    /// Channel opens timed (one after the other, over loopback TCP) for the open latency figures.
    var tcpOpenSamples: Int
    /// Where the scratch directories (SQLite files) go.
    var scratchParent: String
    /// The PostgreSQL server for the `-postgres` figures (none without).
    var postgres: PostgresStoreConfiguration? = nil

    /// Satoshis per payment: the servers' default minimum payment.
    static let paymentSatoshis: Int64 = 1000

    /// The full set: a few minutes on a quiet two-core machine.
    static func full(scratchParent: String) -> BenchSettings {
        BenchSettings(
            quick: false, repeats: 3, floorIterations: 4000, machinePayments: 5000, singleChannelPayments: 1000,
            concurrentChannels: 100, paymentsPerConcurrentChannel: 100, settledChannelCounts: [1_000, 100_000],
            idleChannels: 10_000, tcpOpenSamples: 300, scratchParent: scratchParent)
    }

    /// The same run with `factor` times as many payments (and floor iterations) per round, for
    /// longer, steadier measurements and for profiling. Channel counts stay as they are.
    func scaled(by factor: Int) -> BenchSettings {
        var settings = self
        let factor = max(1, factor)
        settings.floorIterations *= factor
        settings.machinePayments *= factor
        settings.singleChannelPayments *= factor
        settings.paymentsPerConcurrentChannel *= factor
        return settings
    }

    /// The reduced set for CI smoke runs: well under a minute in a release build.
    static func quick(scratchParent: String) -> BenchSettings {
        BenchSettings(
            quick: true, repeats: 1, floorIterations: 300, machinePayments: 300, singleChannelPayments: 100,
            concurrentChannels: 100, paymentsPerConcurrentChannel: 3, settledChannelCounts: [1_000, 10_000],
            idleChannels: 500, tcpOpenSamples: 30, scratchParent: scratchParent)
    }
}
