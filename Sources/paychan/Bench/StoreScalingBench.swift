import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation

/// `store-scaling`: the many-channel manager figure again, with a server store that already
/// holds a few thousand, then a hundred thousand, settled channels; both figures and their
/// ratio (large ÷ small: 1.0 means the history costs nothing).
struct StoreScalingFigure: BenchFigure {
    /// How many settled channels the server's store holds, one figure each (smaller first).
    let settledCounts: [Int]

    var names: [String] { settledCounts.map { "store-scaling-\(Self.label($0))-settled" } + ["store-scaling-ratio"] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let settings = context.settings
        let template = try SettledChannelSeeder.template()
        var results: [BenchResult] = []
        var rates: [Double] = []
        for count in settledCounts {
            let plan = ManagerRun(
                channels: settings.concurrentChannels, paymentsPerChannel: settings.paymentsPerConcurrentChannel,
                repeats: settings.repeats)
            let scratch = try context.scratch()
            defer { scratch.remove() }
            var seedSeconds = 0.0
            let bed = try await plan.makeManagers(directory: scratch.path) { store in
                seedSeconds = try await BenchTiming.secondsAsync {
                    try await SettledChannelSeeder.seed(store, count: count, template: template)
                }
            }
            context.progress(
                "\(count) settled channels stored in \(String(format: "%.1f", seedSeconds)) s; "
                    + "server start \(String(format: "%.3f", bed.serverStartSeconds)) s; paying")
            let measured: ManagerMeasurement
            do {
                measured = try await plan.measure(bed)
            } catch {
                await bed.shutdown()
                throw error
            }
            await bed.shutdown()
            rates.append(measured.paymentsPerSecond)
            context.progress("\(count) settled: \(Int(measured.paymentsPerSecond)) payments/s")
            results.append(
                .throughput(
                    "store-scaling-\(Self.label(count))-settled", measured.paymentsPerSecond, floor: context.floor,
                    detail: "\(plan.description), \(count) settled channels in the server's store, "
                        + "server start took \(String(format: "%.2f", bed.serverStartSeconds)) s, \(measured.batching)")
            )
        }
        if let small = rates.first, let large = rates.last, rates.count > 1, small > 0 {
            results.append(
                BenchResult(
                    name: "store-scaling-ratio", value: large / small, unit: "ratio", ratioToFloor: nil,
                    detail: "payments/s with \(Self.label(settledCounts.last ?? 0)) settled channels "
                        + "/ with \(Self.label(settledCounts.first ?? 0))"))
        }
        return results
    }

    /// `1k`, `100k`, …
    static func label(_ count: Int) -> String {
        count >= 1000 && count % 1000 == 0 ? "\(count / 1000)k" : "\(count)"
    }
}

/// Fills a server store with settled channels fast: one real settled channel's record, copied
/// with a different contract lock time (so a different contract txid) each time, inserted in
/// large batches of `.server(.channel(record))` writes. Like a real history, the copies' expiries
/// are spread over the hundred days before the run (one day per hundredth), so most are older
/// than the week a starting server still watches (``ServerManagerConfig/settledWatchAfterExpiry``).
enum SettledChannelSeeder {
    /// Records per `enqueue` call (one savepoint each).
    static let batchSize = 2_000

    /// The server's record of a real v2 channel that was opened, paid and settled in memory.
    static func template() throws -> ServerChannelRecord {
        let value = try Amount(satoshis: Int64(1_000_000))
        var demo = try InMemoryDemo(version: .v2, channelValue: value)
        try demo.open()
        for _ in 0..<3 { try demo.pay(try Amount(satoshis: BenchSettings.paymentSatoshis), info: nil) }
        guard var record = demo.server.record else { throw BenchFailure("store scaling: no template channel") }
        try demo.close()
        guard let settlement = demo.broadcasts.last(where: { $0.0 == .settlement })?.1 else {
            throw BenchFailure("store scaling: the template channel did not settle")
        }
        record.state = .settled
        record.settlement = settlement
        return record
    }

    /// Inserts `count` settled copies of `template` and waits until they are durable.
    static func seed(_ store: any ChannelStore, count: Int, template: ServerChannelRecord) async throws {
        var next = 0
        while next < count {
            let end = min(count, next + batchSize)
            let writes = (next..<end).map { index -> StoreWrite in
                var contract = template.contract
                // Any lock time works: the store only checks that the txid is the contract's.
                contract.lockTime = UInt32(truncatingIfNeeded: index + 1)
                let daysAgo = UInt64(index % historyDays) + 1
                let expiry = BenchManagers.start - daysAgo * 86_400
                return .server(.channel(copy(template, contract: contract, expiry: expiry)))
            }
            try await store.write(writes)
            next = end
        }
    }

    /// Days of history the copies' expiries are spread over.
    static let historyDays = 100

    private static func copy(_ record: ServerChannelRecord, contract: Transaction, expiry: UInt64)
        -> ServerChannelRecord
    {
        ServerChannelRecord(
            version: record.version, contract: contract, channelValue: record.channelValue,
            serverKeyIndex: record.serverKeyIndex, serverPublicKey: record.serverPublicKey,
            clientPublicKey: record.clientPublicKey, clientOutputScript: record.clientOutputScript,
            expiry: expiry, bestValueToServer: record.bestValueToServer,
            bestSignature: record.bestSignature, state: .settled, settlement: record.settlement)
    }
}
