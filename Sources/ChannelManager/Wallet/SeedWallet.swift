import BitcoinPrimitives
import ChannelStateMachine
import Synchronization

/// The wallet of a Paychan instance: keys derived from the seed, its coins kept in a
/// ``ChannelStore``, found on the chain, and spent into channel contracts or out to an address.
///
/// ## Keys and scripts
///
/// Coins are received on P2WPKH of ``KeyFamily/walletReceive`` keys (``receiveAddress(network:)``)
/// and change goes to P2WPKH of ``KeyFamily/walletChange`` keys. The wallet also watches P2PKH of
/// the client's channel keys (``KeyFamily/clientChannel``), where bitcoinj's layout pays a
/// client's refund and its share of a settlement; a server's share of a settlement pays its
/// payout script, P2WPKH of a receive key. In each family the wallet watches every key up to
/// ``WalletConfiguration/gapLimit`` past the last one handed out or seen paid.
///
/// ## Finding coins
///
/// Hand the wallet every block of the best chain with ``blockConnected(transactions:height:)``
/// (and ``blockDisconnected(height:)`` when a reorg removes one; a chain follower does both), and
/// transactions seen outside blocks with ``receive(_:blockHeight:)``. A wallet starting for the
/// first time with an old birthday finds its coins in the UTXO set with
/// ``scanUnspentOutputs(with:)`` instead of reading every block since.
///
/// ## Segwit only into contracts
///
/// Only P2WPKH outputs fund a contract, so the contract's txid cannot be changed by anyone
/// (bitcoinj#830: a v1 server malleating a contract funded from legacy inputs voids the
/// client's refund). P2PKH outputs of channel keys are counted and spent by ``send(to:amount:feeRate:broadcaster:)``
/// only. Every output is spent only when its script is exactly that of the key the store names
/// for it; anything else is ignored (``WalletBalance/unusable``).
///
/// ## Confirmations
///
/// A coin funds a contract or a send once it has ``WalletConfiguration/minimumConfirmations``;
/// the wallet's own change counts as soon as the chain knows its transaction (only the wallet
/// could double-spend it).
///
/// ## Funding
///
/// ``fundContract(paying:)`` selects outputs largest first, pays the fee at the chain's
/// estimate for the fee target on the transaction's real size, sends change above the
/// dust limit to a new change key (a dust remainder goes to the fee), signs every input
/// (BIP143), checks every input with `ScriptVerifier`, and durably records the inputs as
/// spent and the change as the wallet's before returning. Fundings and sends are serialized, so
/// concurrent ones never pick the same outputs.
///
/// ## Change of unbroadcast transactions
///
/// The change of a transaction the wallet signed is not spent until the chain knows that
/// transaction (``ChainMonitor/status(of:)``), since the contract may yet be abandoned; it is
/// deleted when ``contractAbandoned(_:)`` abandons it (should an abandoned contract reach the
/// chain after all, the chain's blocks or ``receive(_:blockHeight:)`` bring the change back).
/// Before spending an output the wallet also asks the chain whether something already spends it
/// (say, a contract it abandoned that the server broadcast after all), and if so records that and
/// chooses again.
public final class SeedWallet: ContractFunder {
    /// The wallet's settings.
    public let configuration: WalletConfiguration
    /// The fee estimate's confirmation target.
    public var feeTarget: Int { configuration.feeTarget }

    struct State {
        /// The scripts of every watched key.
        var watched = WatchedScripts()
        /// Txids of the wallet's own transactions the chain was seen to know.
        var seenOnChain: Set<Hash256> = []
        /// The wallet's stored outputs, loaded once and kept in step with every write the wallet
        /// makes (nil until loaded, or after a failed write), so that funding does not re-read
        /// the whole history from the store each time.
        var cache: StoreState?
        /// The best block height the wallet has been shown.
        var tip: Int?
        /// Writes returned to a chain follower that are not durable yet, oldest first: later
        /// blocks are planned on top of them.
        var pendingWrites: [StoreWrite] = []
        /// The tip once the pending writes are durable.
        var pendingTip: Int?
        /// Keys the pending blocks show paid, to reserve once their writes are durable.
        var pendingKeys: [WalletKeyReference] = []
    }

    let keychain: ChannelKeychain
    let store: any ChannelStore
    let chain: any ChainMonitor & FeeEstimator
    /// The confirmations a coinbase output needs before the wallet spends it: the chain's
    /// ``CoinbaseMaturityRule`` when it has one, else Bitcoin's `COINBASE_MATURITY`, 100.
    public let coinbaseMaturity: Int
    /// Bitcoin's `COINBASE_MATURITY`.
    public static let bitcoinCoinbaseMaturity = 100
    let state = Mutex(State())
    let gate = AsyncGate()

    /// Opens the wallet kept in `store` with the default configuration and `feeTarget`.
    public convenience init(
        keychain: ChannelKeychain, store: any ChannelStore, chain: any ChainMonitor & FeeEstimator, feeTarget: Int = 6
    ) async throws(FundingError) {
        try await self.init(
            keychain: keychain, store: store, chain: chain, configuration: WalletConfiguration(feeTarget: feeTarget))
    }

    /// Opens the wallet kept in `store`, deriving the scripts of every key it has handed out or
    /// been paid on, and the gap past them.
    /// - Parameters:
    ///   - keychain: derives the wallet's receive and change keys from the seed.
    ///   - store: where the wallet's outputs and handed-out key indexes are kept.
    ///   - chain: fee estimates, and whether transactions reached the chain. When it is also a
    ///     ``ChainTipSource`` (as ``MemoryChain``), confirmations are counted against its tip.
    ///   - configuration: fee target, gap limit and confirmation depth; refused (`.refused`) when
    ///     out of range.
    public init(
        keychain: ChannelKeychain, store: any ChannelStore, chain: any ChainMonitor & FeeEstimator,
        configuration: WalletConfiguration
    ) async throws(FundingError) {
        self.configuration = try configuration.validated()
        self.keychain = keychain
        self.store = store
        self.chain = chain
        coinbaseMaturity = (chain as? any CoinbaseMaturityRule)?.coinbaseMaturity ?? Self.bitcoinCoinbaseMaturity
        var watched = WatchedScripts()
        for (family, _) in WatchedScripts.families {
            let next = try await Self.storeCall { () async throws(StoreError) in try await store.nextKeyIndex(family) }
            watched.noteUsed(family, below: next)
        }
        // Read past the cache, which is filled on first use.
        let outputs = try await Self.storeCall { () async throws(StoreError) in
            try await store.walletOutputs(unspentOnly: false)
        }
        for output in outputs { watched.noteUsed(output.keyFamily, below: output.keyIndex &+ 1) }
        try watched.extend(keychain: keychain, gapLimit: configuration.gapLimit)
        state.withLock { $0.watched = watched }
    }

    // MARK: Receiving

    /// A new P2WPKH script to receive coins on (a fresh ``KeyFamily/walletReceive`` key).
    public func receiveScript() async throws(FundingError) -> Script {
        try await newKey(.walletReceive).script
    }

    /// A new P2WPKH address to receive coins on.
    public func receiveAddress(network: Network) async throws(FundingError) -> Address {
        Address.p2wpkh(publicKey: try await newKey(.walletReceive).publicKey, network: network)
    }

    /// A new P2WPKH receive address of the wallet kept in `store`, without opening the wallet
    /// (no chain needed): the key index is reserved durably, so it is never handed out again.
    public static func newReceiveAddress(keychain: ChannelKeychain, store: any ChannelStore, network: Network)
        async throws(FundingError) -> Address
    {
        let index = try await storeCall { () async throws(StoreError) in try await store.reserveKeyIndex(.walletReceive)
        }
        let reference = WalletKeyReference(family: .walletReceive, index: index)
        let publicKey = try WatchedScripts.publicKey(of: reference, keychain: keychain)
        return Address.p2wpkh(publicKey: publicKey, network: network)
    }

    /// The scripts the wallet watches now (receive, change and channel keys up to the gap).
    public var watchedScripts: Set<Script> { state.withLock { Set($0.watched.keys.keys) } }

    // MARK: Balance

    /// What the wallet holds, and what the client's channels still hold for it.
    public func balance() async throws(FundingError) -> WalletBalance {
        let sorted = try await sortedOutputs()
        let feeRate = (try? await chain.feeRate(targetBlocks: feeTarget)) ?? .zero
        let segwit = sorted.spendable.filter { $0.kind == .p2wpkh }.map(\.output)
        let economical = CoinSelection.economical(segwit, feeRate: feeRate)
        let economicalSet = Set(economical.map(\.outpoint))
        let uneconomical = segwit.filter { !economicalSet.contains($0.outpoint) }
        let records = try await Self.storeCall { () async throws(StoreError) in
            try await store.clientChannels(serverID: nil, in: Self.lockedStates)
        }
        return WalletBalance(
            confirmed: Self.sum(sorted.confirmed), unconfirmed: Self.sum(sorted.unconfirmed),
            lockedInChannels: Self.sum(records.map(\.valueLeft)), available: Self.sum(economical),
            pending: Self.sum(sorted.pending), unusable: Self.sum(sorted.unusable + uneconomical),
            immature: Self.sum(sorted.immature))
    }

    /// Client channels whose contract still holds money of the client's: not settled or refunded.
    static let lockedStates: Set<ClientChannelRecord.State> = [.opening, .open, .refused]

    /// The outputs the wallet would spend into a contract now.
    public func spendableOutputs() async throws(FundingError) -> [WalletOutput] {
        try await sortedOutputs().spendable.filter { $0.kind == .p2wpkh }.map(\.output).sorted(by: StoreOrdering.wallet)
    }

    /// Every output the wallet has stored, spent or not.
    public func storedOutputs() async throws(FundingError) -> [WalletOutput] {
        try await storedOutputs(unspentOnly: false)
    }
}
