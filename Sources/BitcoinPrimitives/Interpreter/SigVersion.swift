/// Which signature rules a script runs under.
enum SigVersion: Sendable {
    /// Legacy and P2SH scripts: legacy sighash, `FindAndDelete`.
    case base
    /// Segwit version 0 scripts: BIP143 sighash, `MINIMALIF`, compressed keys only.
    case witnessV0
}
