/// What `paychan demo` prints: a summary and the transactions it made.
struct DemoReport: Encodable {
    struct Summary: Encodable {
        let protocolVersion: Int
        let port: Int
        let channelValue: Int64
        let payments: Int
        let amount: Int64
        /// The initial payment plus every payment.
        let paidToServer: Int64
        let clientChange: Int64
        let contractTxid: String
        let settlementTxid: String
        /// Inputs minus outputs, when the chain knows every input's value.
        let settlementFee: Int64?
        /// How long the payments took.
        let seconds: Double
        let paymentsPerSecond: Double?
        let inFlight: Int
        /// Where the stores and seeds were kept (nil: a temporary directory, removed).
        let directory: String?

        enum CodingKeys: String, CodingKey {
            case protocolVersion = "protocol"
            case port
            case channelValue = "channel_value"
            case payments
            case amount
            case paidToServer = "paid_to_server"
            case clientChange = "client_change"
            case contractTxid = "contract_txid"
            case settlementTxid = "settlement_txid"
            case settlementFee = "settlement_fee"
            case seconds
            case paymentsPerSecond = "payments_per_second"
            case inFlight = "in_flight"
            case directory
        }
    }

    /// One transaction: `name` is `contract`, `refund` or `settlement`.
    struct Entry: Encodable {
        let name: String
        let hex: String
        /// What each input spends, in input order.
        let spent: [Spent]
    }

    struct Spent: Encodable {
        let scriptPubKey: String
        let amount: Int64

        enum CodingKeys: String, CodingKey {
            case scriptPubKey = "script_pubkey"
            case amount
        }
    }

    let summary: Summary
    let txs: [Entry]

    var text: String {
        let rate = summary.paymentsPerSecond.map { String(Int($0.rounded())) } ?? "-"
        let fee = summary.settlementFee.map { "\($0) sat" } ?? "unknown"
        var lines = [
            "protocol        v\(summary.protocolVersion), over TCP on 127.0.0.1:\(summary.port)",
            "channel value   \(summary.channelValue) sat (contract \(summary.contractTxid))",
            "payments        \(summary.payments) × \(summary.amount) sat after the initial one, all acknowledged",
            "paid            \(summary.paidToServer) sat to the server, \(summary.clientChange) sat back to the client",
            "settlement      \(summary.settlementTxid), mined",
            "settlement fee  \(fee)",
            "payments/s      \(rate) (\(summary.inFlight) in flight, SQLite stores, \(formatted(summary.seconds)) s)",
        ]
        if let directory = summary.directory {
            lines.append("stores, seeds   \(directory)/server, \(directory)/client")
        }
        return lines.joined(separator: "\n")
    }

    private func formatted(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
