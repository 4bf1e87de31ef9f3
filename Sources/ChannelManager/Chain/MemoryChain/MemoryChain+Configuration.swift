import BitcoinPrimitives

extension MemoryChain {
    /// What a ``MemoryChain`` judges a time-based lock time against.
    public enum LockTimeRule: Sendable, Hashable {
        /// BIP113: the median of the timestamps of the last 11 blocks (fewer near genesis), as
        /// Bitcoin Core does. The reference moves only when blocks are mined: after moving the
        /// clock, mine 6 blocks to bring it up to the clock.
        case medianTimePast
        /// The clock's current time (and, when mining, the new block's timestamp). Simpler for
        /// tests that only move the clock, but laxer than any real node.
        case clock
    }

    /// The rules a ``MemoryChain`` applies. The defaults behave like a Bitcoin Core regtest node
    /// with standard policy, except that coinbase outputs may be spent at once.
    public struct Configuration: Sendable, Hashable {
        /// Accept inputs spending outputs the chain has never seen (a server that never saw the
        /// client's funding transactions). Such an input's value and script are unknown: it is
        /// not checked, and the transaction's fee is unknown, but the outpoint is still recorded
        /// as spent so that a second spender is a double spend.
        public var acceptsUnknownInputs: Bool
        /// What time-based lock times are judged against.
        public var lockTimeRule: LockTimeRule
        /// How many blocks must be on top of a coinbase before it may be spent: 0 (the default)
        /// lets ``MemoryChain/fund(script:amount:)`` funds be spent at once; Bitcoin uses 100.
        public var coinbaseMaturity: Int
        /// Full replace-by-fee: a transaction that conflicts with mempool transactions replaces
        /// them (and their descendants) when it pays a higher fee rate than each of them and a
        /// higher absolute fee than all of them together, by at least ``incrementalRelayFee``
        /// for its own size (BIP125 rules 3, 4 and 6, without signalling, as Core ≥ 28).
        public var replaceByFee: Bool
        /// The rate a replacement's extra fee must pay for its own size.
        public var incrementalRelayFee: FeeRate
        /// The lowest fee rate accepted (Core's `minrelaytxfee`); not checked for transactions
        /// with unknown inputs.
        public var minimumRelayFee: FeeRate
        /// Outputs below this rate's dust threshold are refused (Core's `dustrelayfee`); `nil`
        /// accepts dust.
        public var dustRelayFee: FeeRate?
        /// What ``MemoryChain/feeRate(targetBlocks:)`` answers at first (changeable later).
        public var feeRate: FeeRate

        /// Two sat/vB, the default fee estimate.
        public static let defaultFeeRate: FeeRate =
            (try? FeeRate(satoshisPerKilovirtualByte: 2_000)) ?? .defaultMinimumRelayFee

        /// A configuration; the defaults behave as Bitcoin Core's regtest with its standard policy.
        public init(
            acceptsUnknownInputs: Bool = false, lockTimeRule: LockTimeRule = .medianTimePast,
            coinbaseMaturity: Int = 0, replaceByFee: Bool = true,
            incrementalRelayFee: FeeRate = .defaultMinimumRelayFee,
            minimumRelayFee: FeeRate = .defaultMinimumRelayFee, dustRelayFee: FeeRate? = .defaultDustRelayFee,
            feeRate: FeeRate = Configuration.defaultFeeRate
        ) {
            self.acceptsUnknownInputs = acceptsUnknownInputs
            self.lockTimeRule = lockTimeRule
            self.coinbaseMaturity = coinbaseMaturity
            self.replaceByFee = replaceByFee
            self.incrementalRelayFee = incrementalRelayFee
            self.minimumRelayFee = minimumRelayFee
            self.dustRelayFee = dustRelayFee
            self.feeRate = feeRate
        }
    }
}
