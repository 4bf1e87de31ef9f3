import BitcoinPrimitives

/// An output the built-in wallet can spend, as stored.
public struct WalletOutput: Sendable, Hashable {
    /// The output's outpoint.
    public var outpoint: OutPoint
    /// Its value.
    public var value: Amount
    /// Its script.
    public var scriptPubKey: Script
    /// The key that spends it: family and index under the seed.
    public var keyFamily: KeyFamily
    /// The key's index in its family.
    public var keyIndex: UInt32
    /// The transaction that spends it, once the wallet has signed one (or seen one in a block).
    public var spentBy: Hash256?
    /// The height of the block holding the transaction that created it; `nil` while that
    /// transaction is not known to be mined.
    public var confirmedHeight: Int?
    /// The height of the block holding ``spentBy``; `nil` while the spend is not known to be mined.
    public var spendHeight: Int?
    /// Whether ``spentBy`` was learnt from a block rather than signed by this wallet: when that
    /// block is disconnected, the spend is forgotten (the wallet signed nothing for it here).
    public var spendLearntFromChain: Bool
    /// Whether it is an output of a coinbase transaction: spendable only once the block holding
    /// it has ``SeedWallet/coinbaseMaturity`` confirmations (Bitcoin's `COINBASE_MATURITY`, 100).
    public var isCoinbase: Bool

    /// An output of these fields.
    public init(
        outpoint: OutPoint, value: Amount, scriptPubKey: Script, keyFamily: KeyFamily, keyIndex: UInt32,
        spentBy: Hash256? = nil, confirmedHeight: Int? = nil, spendHeight: Int? = nil,
        spendLearntFromChain: Bool = false, isCoinbase: Bool = false
    ) {
        self.outpoint = outpoint
        self.value = value
        self.scriptPubKey = scriptPubKey
        self.keyFamily = keyFamily
        self.keyIndex = keyIndex
        self.spentBy = spentBy
        self.confirmedHeight = confirmedHeight
        self.spendHeight = spendHeight
        self.spendLearntFromChain = spendLearntFromChain
        self.isCoinbase = isCoinbase
    }
}
