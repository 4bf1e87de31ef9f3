import BitcoinPrimitives

/// How the server computes the fee it pays, from its own share, to settle a channel.
public enum SettlementFeePolicy: Sendable, Hashable {
    /// `rate × virtual size` of the signed settlement (Bitcoin Core's policy; the default).
    case feeRate(FeeRate)
    /// bitcoinj v0.15.10's rule, for byte-exact compatibility: `floor(feePerKb × S / 1000)`
    /// where S is the size of the settlement carrying a throwaway `SIGHASH_NONE|ANYONECANPAY`
    /// server signature, plus the 41 (or 43) bytes its `Wallet.calculateFee` adds by wrapping
    /// the serialized input in another input.
    case bitcoinjCompatible(feePerKb: Amount)
}
