extension TransactionOutput {
    /// Bitcoin Core's dust threshold (`GetDustThreshold`): the fee, at `dustRelayFee`, of this
    /// output plus the smallest input that could spend it.
    ///
    /// - An unspendable output (starting with `OP_RETURN`, or longer than 10,000 bytes) has
    ///   threshold zero.
    /// - A witness program adds 32 + 4 + 1 + 107/4 + 4 = 67 bytes (a P2WPKH spend with the
    ///   witness discount): 294 sat for P2WPKH, 330 for P2WSH at the default rate.
    /// - Any other output adds 32 + 4 + 1 + 107 + 4 = 148 bytes: 546 sat for P2PKH, 540 for
    ///   P2SH at the default rate.
    ///
    /// At an absurd rate where the fee would exceed 21,000,000 BTC the threshold saturates
    /// at ``Amount/maxMoney``.
    public func dustThreshold(dustRelayFee: FeeRate = .defaultDustRelayFee) -> Amount {
        let script = scriptPubKey.bytes
        if ScriptPatterns.isUnspendable(script) { return .zero }
        let spendSize =
            ScriptPatterns.witnessProgram(script) != nil
            ? 32 + 4 + 1 + 107 / 4 + 4
            : 32 + 4 + 1 + 107 + 4
        return (try? dustRelayFee.fee(forVirtualSize: serializedSize + spendSize)) ?? .maxMoney
    }

    /// Whether the value is below ``dustThreshold(dustRelayFee:)`` (Core's `IsDust`), so
    /// that standard nodes would not relay a transaction creating it.
    public func isDust(dustRelayFee: FeeRate = .defaultDustRelayFee) -> Bool {
        value < dustThreshold(dustRelayFee: dustRelayFee)
    }
}
