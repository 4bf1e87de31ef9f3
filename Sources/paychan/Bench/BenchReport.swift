import Foundation

/// The signature floor: what one payment costs in libsecp256k1 and sighash work alone.
struct BenchFloor: Sendable, Encodable {
    /// One ECDSA signature of a payment sighash (RFC 6979, low S, DER), through CShims.
    var signMicros: Double
    /// One verification of that signature against a parsed public key, through CShims.
    var verifyMicros: Double
    /// One payment sighash (the cached-prefix ANYONECANPAY preimage, then SHA-256d).
    var sighashMicros: Double
    /// The same signature through BitcoinPrimitives' `PrivateKey.sign(sighash:type:)`.
    var swiftSignMicros: Double
    /// The same verification through BitcoinPrimitives' `PublicKey.verify(_:sighash:)`.
    var swiftVerifyMicros: Double

    /// Payments one core could make if nothing but this work were done:
    /// 1 / (sign + verify + sighash).
    var paymentsPerSecond: Double {
        let micros = signMicros + verifyMicros + sighashMicros
        return micros > 0 ? 1e6 / micros : 0
    }

    enum CodingKeys: String, CodingKey {
        case signMicros = "sign_us"
        case verifyMicros = "verify_us"
        case sighashMicros = "sighash_us"
        case swiftSignMicros = "swift_sign_us"
        case swiftVerifyMicros = "swift_verify_us"
        case paymentsPerSecond = "payments_per_s"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(BenchRounding.micros(signMicros), forKey: .signMicros)
        try container.encode(BenchRounding.micros(verifyMicros), forKey: .verifyMicros)
        try container.encode(BenchRounding.micros(sighashMicros), forKey: .sighashMicros)
        try container.encode(BenchRounding.micros(swiftSignMicros), forKey: .swiftSignMicros)
        try container.encode(BenchRounding.micros(swiftVerifyMicros), forKey: .swiftVerifyMicros)
        try container.encode(BenchRounding.rate(paymentsPerSecond), forKey: .paymentsPerSecond)
    }
}

/// One measured figure of `paychan bench`.
struct BenchResult: Sendable, Encodable {
    /// A stable name, such as `manager-sqlite-100ch`.
    var name: String
    /// The median of the repeated measurements (or the single measurement, see `detail`).
    var value: Double
    /// `payments/s`, `KiB`, `ratio`, …
    var unit: String
    /// `value` ÷ the floor's payments/s, for throughput figures; nil where that means nothing.
    var ratioToFloor: Double?
    /// How the figure was set up and measured, for people reading the output.
    var detail: String

    enum CodingKeys: String, CodingKey {
        case name, value, unit, detail
        case ratioToFloor = "ratio_to_floor"
    }

    /// A throughput figure in payments per second, with its ratio to `floor`.
    static func throughput(_ name: String, _ paymentsPerSecond: Double, floor: BenchFloor, detail: String)
        -> BenchResult
    {
        let floorRate = floor.paymentsPerSecond
        return BenchResult(
            name: name, value: paymentsPerSecond, unit: "payments/s",
            ratioToFloor: floorRate > 0 ? paymentsPerSecond / floorRate : nil, detail: detail)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(
            unit == "payments/s" ? BenchRounding.rate(value) : BenchRounding.ratio(value), forKey: .value)
        try container.encode(unit, forKey: .unit)
        // Encoded explicitly, so that a missing ratio is `null` rather than an absent key.
        try container.encode(ratioToFloor.map(BenchRounding.ratio), forKey: .ratioToFloor)
        try container.encode(detail, forKey: .detail)
    }
}

/// Everything `paychan bench --json` prints.
struct BenchReport: Sendable, Encodable {
    /// `release` or `debug`: figures from a debug build mean little.
    var build: String
    /// Whether this was a `--quick` run (small sizes, fewer repeats).
    var quick: Bool
    var floor: BenchFloor
    var results: [BenchResult]

    /// An aligned table for people.
    var table: String {
        var lines: [String] = []
        lines.append(
            "paychan bench: \(build) build, \(quick ? "quick" : "full") run, "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores, medians")
        lines.append("")
        lines.append(
            "floor (one core, libsecp256k1 through CShims): sign \(Self.format(floor.signMicros, 2)) µs, "
                + "verify \(Self.format(floor.verifyMicros, 2)) µs, sighash \(Self.format(floor.sighashMicros, 2)) µs "
                + "= \(Self.format(floor.paymentsPerSecond, 0)) payments/s")
        lines.append(
            "  through the Swift wrappers: sign \(Self.format(floor.swiftSignMicros, 2)) µs, "
                + "verify \(Self.format(floor.swiftVerifyMicros, 2)) µs")
        lines.append("")
        let header = ["figure", "value", "unit", "× floor", "setup"]
        let rows =
            [header]
            + results.map { result in
                [
                    result.name, Self.format(result.value, result.unit == "payments/s" ? 0 : 2), result.unit,
                    result.ratioToFloor.map { Self.format($0, 3) } ?? "-", result.detail,
                ]
            }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = (0..<4).map { column -> String in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // Numbers right-aligned, words left-aligned.
                return column == 1 || column == 3 ? padding + cell : cell + padding
            }
            lines.append((cells + [row[4]]).joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}

/// Rounding for the JSON output, so that it carries no false precision.
enum BenchRounding {
    static func micros(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    static func rate(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    static func ratio(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
