import BitcoinPrimitives
import ChannelManager
import Foundation

/// `manager-sqlite-1ch` and `manager-sqlite-100ch`: a server manager and a client manager over
/// in-memory pipes, both on real SQLite stores (`synchronous = FULL`: every payment is durable
/// on the client before it is sent and on the server before it is acknowledged).
///
/// With one channel, payments are sequential (each `pay` awaits its ack). With many, every
/// channel pays its share of the round sequentially and all channels at once.
struct ManagerFigure: BenchFigure {
    let channels: Int

    var name: String { "manager-sqlite-\(channels)ch" }
    var names: [String] { [name] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let scratch = try context.scratch()
        defer { scratch.remove() }
        let payments =
            channels == 1 ? context.settings.singleChannelPayments : context.settings.paymentsPerConcurrentChannel
        let plan = ManagerRun(channels: channels, paymentsPerChannel: payments, repeats: context.settings.repeats)
        let bed = try await plan.makeManagers(directory: scratch.path)
        let measured: ManagerMeasurement
        do {
            measured = try await plan.measure(bed)
        } catch {
            await bed.shutdown()
            throw error
        }
        await bed.shutdown()
        return [
            .throughput(
                name, measured.paymentsPerSecond, floor: context.floor,
                detail: "\(plan.description), SQLite both sides, in-memory pipes, \(measured.batching)")
        ]
    }
}

/// One many-channel manager measurement: open the channels, warm up, time the rounds, check the
/// server stored every payment. Shared by the manager and store-scaling figures.
struct ManagerRun: Sendable, CustomStringConvertible {
    let channels: Int
    let paymentsPerChannel: Int
    let repeats: Int

    private var amount: Amount { (try? Amount(satoshis: BenchSettings.paymentSatoshis)) ?? .zero }

    /// The initial payment and every round's, plus the minimum channel value as a margin.
    private var channelSatoshis: Int64 {
        BenchSettings.paymentSatoshis * Int64((repeats + 1) * paymentsPerChannel + 2) + 100_000
    }

    var description: String {
        channels == 1
            ? "1 channel, \(paymentsPerChannel) sequential payments/round"
            : "\(channels) channels at once, \(paymentsPerChannel) sequential payments each/round"
    }

    /// Managers in `directory` whose wallet can fund the channels.
    func makeManagers(
        directory: String, prepareServerStore: (any ChannelStore) async throws -> Void = { _ in }
    ) async throws -> BenchManagers {
        try await BenchManagers(
            directory: directory, coins: channels, coinValue: try Amount(satoshis: channelSatoshis + 100_000),
            prepareServerStore: prepareServerStore)
    }

    /// Opens the channels, then measures the rounds.
    func measure(_ bed: BenchManagers) async throws -> ManagerMeasurement {
        let value = try Amount(satoshis: channelSatoshis)
        let sessions = try await bed.openChannels(channels, value: value)
        let serverBefore = bed.serverStatistics()
        let clientBefore = bed.clientStore.benchStatistics
        let amount = amount
        let perChannel = paymentsPerChannel
        let rate = try await BenchTiming.medianAfterWarmUp(repeats: repeats) {
            let seconds = try await BenchTiming.secondsAsync {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for session in sessions {
                        group.addTask {
                            for _ in 0..<perChannel { try await session.pay(amount) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            return Double(sessions.count * perChannel) / seconds
        }
        let serverAfter = bed.serverStatistics()
        let clientAfter = bed.clientStore.benchStatistics
        // Every acknowledged payment must be in the server's file: check one channel.
        if let first = sessions.first {
            let paid = try Amount(
                satoshis: BenchSettings.paymentSatoshis * Int64((repeats + 1) * paymentsPerChannel + 1))
            try await bed.checkDurable(first, paidToServer: paid)
        }
        return ManagerMeasurement(
            paymentsPerSecond: rate,
            serverWritesPerCommit: Self.writesPerCommit(from: serverBefore, to: serverAfter),
            clientWritesPerCommit: Self.writesPerCommit(from: clientBefore, to: clientAfter),
            serverJournalShare: Self.journalShare(from: serverBefore, to: serverAfter),
            clientJournalShare: Self.journalShare(from: clientBefore, to: clientAfter))
    }

    static func writesPerCommit(
        from before: BenchStoreStatistics, to after: BenchStoreStatistics
    ) -> Double {
        let commits = after.commits - before.commits
        return commits > 0 ? Double(after.writes - before.writes) / Double(commits) : 0
    }

    /// The share of commits that were payment journal writes (the rest are SQLite transactions,
    /// folds of the journal included).
    static func journalShare(
        from before: BenchStoreStatistics, to after: BenchStoreStatistics
    ) -> Double {
        let commits = after.commits - before.commits
        return commits > 0 ? Double(after.journalWrites - before.journalWrites) / Double(commits) : 0
    }
}

/// What one manager run measured: the median rate, and how the stores grouped their commits
/// over all the rounds (the warm-up included).
struct ManagerMeasurement: Sendable {
    var paymentsPerSecond: Double
    var serverWritesPerCommit: Double
    var clientWritesPerCommit: Double
    var serverJournalShare: Double
    var clientJournalShare: Double

    /// For the detail column: payments share each sync when many channels pay at once, and
    /// most syncs are payment journal writes.
    var batching: String {
        "writes/commit: server \(String(format: "%.1f", serverWritesPerCommit)), "
            + "client \(String(format: "%.1f", clientWritesPerCommit)); payment journal writes: "
            + "server \(String(format: "%.0f", serverJournalShare * 100)) %, "
            + "client \(String(format: "%.0f", clientJournalShare * 100)) % of commits"
    }
}
