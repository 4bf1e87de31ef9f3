import BitcoinPrimitives
import ChannelStateMachine

/// `state-machine-1ch`: a raw ``ClientChannel`` and ``ServerChannel`` in one thread (the
/// machinery of `paychan demo`), one channel opened, then payments: client `pay` → encode →
/// server `receive(bytes:)` → `PAYMENT_ACK` encoded → client `receive`. No store, no tasks.
struct StateMachineFigure: BenchFigure {
    var names: [String] { ["state-machine-1ch"] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let payments = context.settings.machinePayments
        let rounds = context.settings.repeats + 1
        let amount = try Amount(satoshis: BenchSettings.paymentSatoshis)
        // Room for every round's payments, the initial payment and the refund fee.
        let value = try Amount(satoshis: BenchSettings.paymentSatoshis * Int64(rounds * payments + 10) + 100_000)
        var demo = try InMemoryDemo(version: .v2, channelValue: value)
        try demo.open()
        let initial = demo.acknowledged
        let rate = try BenchTiming.medianAfterWarmUp(repeats: context.settings.repeats) {
            let seconds = try BenchTiming.seconds {
                for _ in 0..<payments { try demo.pay(amount, info: nil) }
            }
            return Double(payments) / seconds
        }
        let expected = try initial.adding(Amount(satoshis: BenchSettings.paymentSatoshis * Int64(rounds * payments)))
        guard demo.acknowledged == expected else {
            throw BenchFailure("state machines: \(demo.acknowledged) acknowledged, expected \(expected)")
        }
        return [
            .throughput(
                "state-machine-1ch", rate, floor: context.floor,
                detail: "raw machines, one thread, v2, \(payments) payments/round, codec both ways")
        ]
    }
}
