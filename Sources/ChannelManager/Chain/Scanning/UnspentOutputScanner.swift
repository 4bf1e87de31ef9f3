import BitcoinPrimitives

/// Finds unspent outputs paying given descriptors in a chain's UTXO set at its tip, without
/// reading its blocks: Bitcoin Core's `scantxoutset`. A wallet starting for the first time with
/// an old birthday (or restored from its seed alone) finds its coins this way, then follows the
/// chain from the scan's tip.
public protocol UnspentOutputScanner: Sendable {
    /// The mined unspent outputs (mempool transactions are not looked at, as with Core's
    /// `scantxoutset`) paying any of `descriptors`.
    func scanUnspentOutputs(matching descriptors: [OutputDescriptor]) async throws(ChainError) -> UnspentOutputScan
}

/// What a ``UnspentOutputScanner`` found.
public struct UnspentOutputScan: Sendable, Hashable {
    /// The height of the tip the UTXO set was read at.
    public let height: Int
    /// The hash of that tip, when the backend names its blocks.
    public let blockHash: Hash256?
    /// The outputs found.
    public let outputs: [ScannedOutput]

    /// A scan at `height` (tip `blockHash`) that found `outputs`.
    public init(height: Int, blockHash: Hash256?, outputs: [ScannedOutput]) {
        self.height = height
        self.blockHash = blockHash
        self.outputs = outputs
    }
}

/// One unspent output a scan found.
public struct ScannedOutput: Sendable, Hashable {
    /// The output's outpoint.
    public let outpoint: OutPoint
    /// The output.
    public let output: TransactionOutput
    /// The height of the block holding the transaction that created it.
    public let height: Int
    /// Whether the transaction that created it is a coinbase (Core's `coinbase`).
    public let isCoinbase: Bool

    /// An output found at `outpoint`, created at `height`.
    public init(outpoint: OutPoint, output: TransactionOutput, height: Int, isCoinbase: Bool = false) {
        self.outpoint = outpoint
        self.output = output
        self.height = height
        self.isCoinbase = isCoinbase
    }
}

/// How many confirmations a coinbase output needs before a transaction spending it may enter
/// the mempool, on a chain whose rule differs from Bitcoin's 100 (``MemoryChain``'s is
/// configurable). A ``SeedWallet`` on a chain that does not say uses 100.
public protocol CoinbaseMaturityRule: Sendable {
    /// The confirmations a coinbase output needs to be spent: 100 on Bitcoin.
    var coinbaseMaturity: Int { get }
}

/// The height of a chain's best block.
public protocol ChainTipSource: Sendable {
    /// The height of the best block (0 for a chain of only its genesis block).
    func tipHeight() async throws(ChainError) -> Int
}
