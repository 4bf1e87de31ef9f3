import BitcoinPrimitives
import Synchronization

/// An in-process regtest chain: a UTXO set, a mempool and blocks, with the rules a Bitcoin
/// Core node applies to what it is sent. Tests, the demo and single-machine runs use it as the
/// managers' ``ChainBackend``.
///
/// ## Rules on broadcast
///
/// A transaction already in the mempool or a block is accepted again silently. Otherwise it
/// is refused with a ``ChainError`` when:
/// - it has no inputs or no outputs, spends an outpoint twice, spends the null outpoint, is a
///   coinbase, weighs more than 400,000, or its outputs total more than 21e6 BTC (`.rejected`);
/// - its lock time is not reached (`.notFinal`): a height lock must be below the next block's
///   height, a time lock (≥ 500,000,000) below ``lockTimeReference()`` (see
///   ``LockTimeRule``), unless every input's sequence is `0xFFFFFFFF`;
/// - an input spends an output the chain does not know (`.rejected`), unless
///   ``Configuration/acceptsUnknownInputs``, or a coinbase younger than
///   ``Configuration/coinbaseMaturity`` blocks;
/// - an input spends an output a mined transaction spends (`.doubleSpend`), or one a mempool
///   transaction spends and it does not qualify as its replacement (`.doubleSpend`; see
///   ``Configuration/replaceByFee``; a replacement evicts the conflicts and their descendants);
/// - its outputs are worth more than its inputs, an input fails `ScriptVerifier` with the
///   standard flags (P2PKH, P2SH, P2WPKH, P2WSH, multisig, CLTV and the channel scripts), its fee
///   is below ``Configuration/minimumRelayFee`` or an output is dust (`.rejected`). Inputs of
///   unknown outputs skip the value, fee and script checks.
///
/// ## Blocks and time
///
/// The chain starts with a genesis block stamped with the clock's time. ``mine(blocks:)``
/// stamps each block with the clock's time (or one second past the median time past, if
/// later) and puts into it every mempool transaction that is final for it. With the default
/// BIP113 rule the lock time reference is the median of the last 11 block timestamps, so
/// after moving the clock mine 6 blocks before a time lock just passed is final.
///
/// ``fund(script:amount:)`` creates money: a coinbase paying the output, mined at once in a
/// block of its own, spendable at once (with the default maturity of 0).
///
/// Every accepted transaction is kept with the outputs it spent (``history``), including the
/// ones replaced later.
public final class MemoryChain: ChainBackend {
    let state: Mutex<MemoryChainState>
    private let clock: any ManagerClock

    /// An empty chain (a genesis block stamped with the clock's time).
    public init(clock: any ManagerClock, configuration: Configuration = Configuration()) {
        self.clock = clock
        state = Mutex(MemoryChainState(configuration: configuration, genesisTime: clock.now()))
    }

    /// An empty chain with the default rules, accepting unknown inputs or not.
    public convenience init(clock: any ManagerClock, acceptsUnknownInputs: Bool) {
        self.init(clock: clock, configuration: Configuration(acceptsUnknownInputs: acceptsUnknownInputs))
    }

    /// The rules in force.
    public var configuration: Configuration { state.withLock { $0.configuration } }

    // MARK: ChainBackend

    /// Accepts `transaction` into the mempool (see the rules above).
    public func broadcast(_ transaction: Transaction) async throws(ChainError) {
        try accept(transaction)
    }

    /// Whether the chain has `txid` in its mempool or a block.
    public func status(of txid: Hash256) async throws(ChainError) -> TransactionStatus {
        transactionStatus(of: txid)
    }

    public func spender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? {
        spendingTransaction(of: outpoint)
    }

    public func fetchTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? {
        transaction(txid)
    }

    /// The median time past of the tip (BIP113), or the clock's time under
    /// ``LockTimeRule/clock``.
    public func lockTimeReference() async throws(ChainError) -> UInt64 {
        currentLockTimeReference
    }

    /// ``estimatedFeeRate``, whatever the target.
    public func feeRate(targetBlocks: Int) async throws(ChainError) -> FeeRate {
        estimatedFeeRate
    }

    // MARK: Synchronous access

    /// ``broadcast(_:)`` without suspending.
    public func accept(_ transaction: Transaction) throws(ChainError) {
        let now = clock.now()
        try state.withLock { state throws(ChainError) in try state.accept(transaction, now: now) }
    }

    /// Where `txid` stands.
    public func transactionStatus(of txid: Hash256) -> TransactionStatus {
        state.withLock { $0.status(of: txid) }
    }

    /// The live transaction (mined or in the mempool) spending `outpoint`.
    public func spendingTransaction(of outpoint: OutPoint) -> Hash256? {
        state.withLock { $0.spenders[outpoint] }
    }

    /// What ``lockTimeReference()`` answers.
    public var currentLockTimeReference: UInt64 {
        let now = clock.now()
        return state.withLock { $0.lockTimeReference(now: now) }
    }

    /// The fee rate ``feeRate(targetBlocks:)`` answers; set it to simulate fee changes.
    public var estimatedFeeRate: FeeRate {
        get { state.withLock { $0.configuration.feeRate } }
        set { state.withLock { $0.configuration.feeRate = newValue } }
    }

    // MARK: Making money and blocks

    /// Creates `amount` paying `script`: a coinbase mined in a new block of its own (the
    /// mempool is not mined). Its output 0 is the new coin.
    @discardableResult
    public func fund(script: Script, amount: Amount) -> Transaction {
        let now = clock.now()
        let output = TransactionOutput(value: amount, scriptPubKey: script)
        return state.withLock { $0.mineCoinbase(paying: [output], now: now) }
    }

    /// Creates the `outputs`: a coinbase mined in a new block of its own. Throws `.rejected`
    /// for no outputs or a total above 21e6 BTC.
    @discardableResult
    public func fund(outputs: [TransactionOutput]) throws(ChainError) -> Transaction {
        try MemoryChainState.checkFunding(outputs)
        let now = clock.now()
        return state.withLock { $0.mineCoinbase(paying: outputs, now: now) }
    }

    /// Mines `blocks` blocks (none for a count below 1), each holding the mempool
    /// transactions final for it. Returns the new blocks.
    @discardableResult
    public func mine(blocks count: Int = 1) -> [Block] {
        let now = clock.now()
        return state.withLock { state in
            (0..<max(count, 0)).map { _ in state.mineBlock(now: now) }
        }
    }

    // MARK: Inspection

    /// The height of the tip (0 when only the genesis block exists).
    public var height: Int { state.withLock { $0.tipHeight } }

    /// Every block, genesis first.
    public var blocks: [Block] { state.withLock { $0.blocks } }

    /// The median of the last 11 block timestamps (BIP113).
    public var medianTimePast: UInt64 { state.withLock { $0.medianTimePast } }

    /// The mempool, in arrival order.
    public var mempoolTxids: [Hash256] { state.withLock { $0.mempool } }

    /// The live (mined or mempool) transaction with `txid`.
    public func transaction(_ txid: Hash256) -> Transaction? {
        state.withLock { $0.liveRecord(txid)?.transaction }
    }

    /// What the chain knows of `txid`, including a replaced transaction.
    public func record(_ txid: Hash256) -> Record? {
        state.withLock { $0.records[txid] }
    }

    /// Every transaction ever accepted (fundings included), in the order first accepted, with
    /// the outputs it spent.
    public var history: [Record] {
        state.withLock { state in state.acceptanceOrder.compactMap { state.records[$0] } }
    }

    /// The unspent output at `outpoint` (created by a mined or mempool transaction, spent by
    /// neither).
    public func utxo(_ outpoint: OutPoint) -> Coin? {
        state.withLock { $0.coin(at: outpoint) }
    }

    /// The total of the unspent outputs (mined or in the mempool) paying `script`.
    public func balance(of script: Script) -> Amount {
        state.withLock { $0.balance(of: script) }
    }
}
