import BitcoinPrimitives

/// An output the built-in wallet can spend, as stored.
public struct WalletOutput: Sendable, Hashable {
    public var outpoint: OutPoint
    public var value: Amount
    public var scriptPubKey: Script
    /// The key that spends it: family and index under the seed.
    public var keyFamily: KeyFamily
    public var keyIndex: UInt32
    /// The transaction that spends it, once the wallet has signed one.
    public var spentBy: Hash256?

    public init(
        outpoint: OutPoint, value: Amount, scriptPubKey: Script, keyFamily: KeyFamily, keyIndex: UInt32,
        spentBy: Hash256? = nil
    ) {
        self.outpoint = outpoint
        self.value = value
        self.scriptPubKey = scriptPubKey
        self.keyFamily = keyFamily
        self.keyIndex = keyIndex
        self.spentBy = spentBy
    }
}
