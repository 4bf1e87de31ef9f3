import BitcoinPrimitives
import Histogram

/// Payment latency percentiles of a load run, in microseconds (send to ack, client side).
struct LoadLatency: Sendable, Encodable {
    var p50: UInt64
    var p99: UInt64
    var p999: UInt64
    var max: UInt64

    enum CodingKeys: String, CodingKey {
        case p50 = "p50_us"
        case p99 = "p99_us"
        case p999 = "p99_9_us"
        case max = "max_us"
    }

    init(_ histogram: Histogram<UInt64>) {
        p50 = histogram.valueAtPercentile(50)
        p99 = histogram.valueAtPercentile(99)
        p999 = histogram.valueAtPercentile(99.9)
        max = histogram.max
    }

    init() {
        p50 = 0
        p99 = 0
        p999 = 0
        max = 0
    }
}

/// What a load run measured; `paychan load --json` prints it.
struct LoadReport: Sendable, Encodable {
    var connections: Int
    var paying: Int
    var amountSatoshis: Int64
    var channelValueSatoshis: Int64
    /// Channels open after the opening phase.
    var channelsOpen = 0
    var openSeconds = 0.0
    /// Payments acknowledged during the paying phase, over `payingSeconds`.
    var payments = 0
    var payingSeconds = 0.0
    var latency = LoadLatency()
    /// Failed opens and payments, connections that ended on their own, store mismatches.
    var errors = 0
    var errorSamples: [String] = []
    /// The server process's memory: after it started, once every channel was open, at the end.
    var serverMemoryStart: ProcessMemory?
    var serverMemoryOpen: ProcessMemory?
    var serverMemoryEnd: ProcessMemory?

    init(plan: LoadPlan) {
        connections = plan.connections
        paying = plan.paying
        amountSatoshis = plan.amount.satoshis
        channelValueSatoshis = plan.channelValue.satoshis
    }

    /// Acknowledged payments per second over the paying phase.
    var paymentsPerSecond: Double { payingSeconds > 0 ? Double(payments) / payingSeconds : 0 }

    /// Server memory added per open channel (KiB), from its start to all channels open.
    var serverKiBPerChannel: Double? {
        guard let start = serverMemoryStart, let open = serverMemoryOpen, channelsOpen > 0 else { return nil }
        return Double(open.residentKiB - start.residentKiB) / Double(channelsOpen)
    }

    enum CodingKeys: String, CodingKey {
        case connections, paying, payments, errors, latency
        case amountSatoshis = "amount_sat"
        case channelValueSatoshis = "channel_value_sat"
        case channelsOpen = "channels_open"
        case openSeconds = "open_seconds"
        case payingSeconds = "paying_seconds"
        case errorSamples = "error_samples"
        case serverMemoryStart = "server_memory_start"
        case serverMemoryOpen = "server_memory_open"
        case serverMemoryEnd = "server_memory_end"
        case paymentsPerSecond = "payments_per_s"
        case serverKiBPerChannel = "server_kib_per_channel"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(connections, forKey: .connections)
        try container.encode(paying, forKey: .paying)
        try container.encode(amountSatoshis, forKey: .amountSatoshis)
        try container.encode(channelValueSatoshis, forKey: .channelValueSatoshis)
        try container.encode(channelsOpen, forKey: .channelsOpen)
        try container.encode(openSeconds, forKey: .openSeconds)
        try container.encode(payments, forKey: .payments)
        try container.encode(payingSeconds, forKey: .payingSeconds)
        try container.encode(paymentsPerSecond, forKey: .paymentsPerSecond)
        try container.encode(latency, forKey: .latency)
        try container.encode(errors, forKey: .errors)
        try container.encode(errorSamples, forKey: .errorSamples)
        try container.encode(serverMemoryStart, forKey: .serverMemoryStart)
        try container.encode(serverMemoryOpen, forKey: .serverMemoryOpen)
        try container.encode(serverMemoryEnd, forKey: .serverMemoryEnd)
        try container.encode(serverKiBPerChannel, forKey: .serverKiBPerChannel)
    }

    /// A few lines for people.
    var text: String {
        var lines = [
            "connections \(connections) (\(channelsOpen) channels open in \(String(format: "%.1f", openSeconds)) s), "
                + "\(paying) paying \(amountSatoshis) sat each time",
            "payments \(payments) in \(String(format: "%.1f", payingSeconds)) s = "
                + "\(String(format: "%.0f", paymentsPerSecond)) payments/s; latency µs p50 \(latency.p50) "
                + "p99 \(latency.p99) p99.9 \(latency.p999) max \(latency.max)",
            "errors \(errors)",
        ]
        lines += errorSamples.map { "  \($0)" }
        if let start = serverMemoryStart, let open = serverMemoryOpen, let end = serverMemoryEnd {
            lines.append(
                "server memory KiB: start \(start.residentKiB), all open \(open.residentKiB), end \(end.residentKiB), "
                    + "peak \(end.peakKiB)"
                    + (serverKiBPerChannel.map { String(format: " (%.2f KiB per channel)", $0) } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
