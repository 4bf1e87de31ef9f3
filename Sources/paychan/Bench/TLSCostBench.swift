import BitcoinPrimitives
import ChannelManager

/// `tcp-100ch-tls-ratio`: `tcp-100ch-tls` ÷ `tcp-100ch`, measured in alternating rounds on two
/// beds set up side by side (one plain, one over TLS), so that a change of load on the host
/// hits both alike: after a warm-up round each, every measured step runs one round on each bed
/// (plain first on even steps, TLS first on odd ones) and takes the ratio of the two rates;
/// the figure is the median of those ratios. 1.0 means TLS costs nothing; issue 18 allows 0.85.
struct TLSCostFigure: BenchFigure {
    let channels: Int

    var names: [String] { ["tcp-\(channels)ch-tls-ratio"] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let settings = context.settings
        let perChannel = settings.paymentsPerConcurrentChannel
        // More steps than a figure's repeats: a ratio of two noisy rates is noisier.
        let repeats = 2 * max(1, settings.repeats) + 1
        let channelSatoshis = BenchSettings.paymentSatoshis * Int64((repeats + 1) * perChannel + 2) + 100_000
        let coinValue = try Amount(satoshis: channelSatoshis + 100_000)
        let value = try Amount(satoshis: channelSatoshis)
        let plainScratch = try context.scratch()
        defer { plainScratch.remove() }
        let tlsScratch = try context.scratch()
        defer { tlsScratch.remove() }
        let plain = try await TCPBench(directory: plainScratch.path, coins: channels, coinValue: coinValue)
        let tls: TCPBench
        do {
            tls = try await TCPBench(directory: tlsScratch.path, coins: channels, coinValue: coinValue, tls: true)
        } catch {
            await plain.shutdown()
            throw error
        }
        do {
            let ratio = try await measure(
                plain: plain, tls: tls, perChannel: perChannel, repeats: repeats, value: value)
            await plain.shutdown()
            await tls.shutdown()
            return [
                BenchResult(
                    name: names[0], value: ratio, unit: "ratio", ratioToFloor: nil,
                    detail:
                        "median of \(repeats) ratios of alternating rounds, \(channels) channels at once × \(perChannel) "
                        + "sequential payments each, TLS bed\(tls.tlsDescription) ÷ plain bed, SQLite both sides")
            ]
        } catch {
            await plain.shutdown()
            await tls.shutdown()
            throw error
        }
    }

    private func measure(plain: TCPBench, tls: TCPBench, perChannel: Int, repeats: Int, value: Amount) async throws
        -> Double
    {
        let plainSessions = try await plain.openChannels(channels, value: value)
        let tlsSessions = try await tls.openChannels(channels, value: value)
        let amount = try Amount(satoshis: BenchSettings.paymentSatoshis)
        let shares = [perChannel]
        func plainRound() async throws -> Double {
            try await TCPPaymentFigure.round(plainSessions, shares: shares, amount: amount, on: plain)
        }
        func tlsRound() async throws -> Double {
            try await TCPPaymentFigure.round(tlsSessions, shares: shares, amount: amount, on: tls)
        }
        _ = try await plainRound()
        _ = try await tlsRound()
        var ratios: [Double] = []
        for step in 0..<repeats {
            if step % 2 == 0 {
                let plainRate = try await plainRound()
                ratios.append(try await tlsRound() / plainRate)
            } else {
                let tlsRate = try await tlsRound()
                ratios.append(tlsRate / (try await plainRound()))
            }
        }
        // Every acknowledged payment must be in each server's store.
        let paid = try Amount(satoshis: BenchSettings.paymentSatoshis * Int64((repeats + 1) * perChannel + 1))
        for session in plainSessions { try await plain.managers.checkDurable(session, paidToServer: paid) }
        for session in tlsSessions { try await tls.managers.checkDurable(session, paidToServer: paid) }
        return BenchTiming.median(ratios)
    }
}
