/// Bitcoin Core's dust rule (`GetDustThreshold` / `IsDust` in `policy/policy.cpp`): an output is
/// dust when its value is below what it would cost, at the dust relay fee, to create and later
/// spend it.
public enum Dust {
    /// Bytes a spending input adds: 32 + 4 + 1 + 107 + 4 for a legacy spend, and
    /// 32 + 4 + 1 + 107 / 4 + 4 virtual bytes for a witness program.
    static let legacySpendSize = 148
    static let witnessSpendSize = 32 + 4 + 1 + 107 / 4 + 4

    /// The smallest value `scriptPubKey` may carry at `rate`. Unspendable outputs (`OP_RETURN`
    /// or over 10,000 bytes) have no threshold.
    public static func threshold(for scriptPubKey: Script, rate: FeeRate = .dustRelay) -> Amount {
        if scriptPubKey.bytes.first == Opcode.return.rawValue || scriptPubKey.count > 10_000 { return .zero }
        let output = TransactionOutput(value: .zero, scriptPubKey: scriptPubKey)
        let spend = WitnessProgram(scriptPubKey: scriptPubKey) != nil ? witnessSpendSize : legacySpendSize
        return rate.fee(virtualSize: output.serializedSize + spend) ?? .maxMoney
    }

    /// Whether `output` is dust at `rate`.
    public static func isDust(_ output: TransactionOutput, rate: FeeRate = .dustRelay) -> Bool {
        output.value < threshold(for: output.scriptPubKey, rate: rate)
    }
}
