import BitcoinPrimitives

extension SeedWallet {
    /// Unspent stored outputs sorted by what the wallet may do with them.
    struct SortedOutputs {
        /// May be spent now (reached the depth, or own change the chain knows), with their kind.
        var spendable: [(output: WalletOutput, kind: WalletScriptKind)] = []
        /// Change of the wallet's own transactions that the chain does not know.
        var pending: [WalletOutput] = []
        /// Spendable by the wallet, with at least one confirmation and the configured depth.
        var confirmed: [WalletOutput] = []
        /// Spendable by the wallet, not ``confirmed`` (``immature`` included).
        var unconfirmed: [WalletOutput] = []
        /// Coinbase outputs with fewer than ``SeedWallet/coinbaseMaturity`` confirmations: never
        /// ``spendable``.
        var immature: [WalletOutput] = []
        /// Not P2WPKH or P2PKH of the key they name.
        var unusable: [WalletOutput] = []
    }

    /// Sorts the unspent stored outputs. Each list is in no particular order.
    func sortedOutputs() async throws(FundingError) -> SortedOutputs {
        let all = try await storedOutputs(unspentOnly: false, ordered: false)
        let ownTransactions = Set(all.compactMap(\.spentBy))
        let tip = await currentTip()
        let depth = configuration.minimumConfirmations
        let watched = state.withLock { $0.watched }
        var sorted = SortedOutputs()
        for output in all where output.spentBy == nil {
            guard let kind = watched.kind(of: output) else {
                sorted.unusable.append(output)
                continue
            }
            let confirmations = Self.confirmations(of: output, tip: tip)
            // Core refuses a spend of a coinbase output younger than its maturity: the wallet
            // neither spends it nor counts it confirmed.
            if output.isCoinbase, confirmations < max(coinbaseMaturity, 1) {
                sorted.immature.append(output)
                sorted.unconfirmed.append(output)
                continue
            }
            if confirmations >= max(depth, 1) {
                sorted.confirmed.append(output)
            } else {
                sorted.unconfirmed.append(output)
            }
            if confirmations >= depth {
                sorted.spendable.append((output, kind))
            } else if ownTransactions.contains(output.outpoint.txid) {
                if await chainKnows(output.outpoint.txid) {
                    sorted.spendable.append((output, kind))
                } else {
                    sorted.pending.append(output)
                }
            }
        }
        return sorted
    }

    /// How many confirmations `output` has with the tip at `tip`: 0 unmined; at least 1 once
    /// mined, even when the tip is not known.
    static func confirmations(of output: WalletOutput, tip: Int?) -> Int {
        guard let height = output.confirmedHeight else { return 0 }
        guard let tip, tip >= height else { return 1 }
        return tip - height + 1
    }

    /// The best height known: the highest block shown to the wallet, or the chain's tip when it
    /// tells it (``ChainTipSource``), whichever is higher.
    func currentTip() async -> Int? {
        let shown = state.withLock { $0.tip }
        guard let source = chain as? any ChainTipSource, let height = try? await source.tipHeight() else {
            return shown
        }
        return max(shown ?? height, height)
    }

    /// Whether the chain knows the wallet transaction `txid` (remembered once seen).
    func chainKnows(_ txid: Hash256) async -> Bool {
        if state.withLock({ $0.seenOnChain.contains(txid) }) { return true }
        guard let status = try? await chain.status(of: txid), status != .unknown else { return false }
        state.withLock { _ = $0.seenOnChain.insert(txid) }
        return true
    }

    /// Selects outputs among `candidates` for `output`, first recording as spent any the chain
    /// says something already spends.
    func select(
        paying output: TransactionOutput, feeRate: FeeRate,
        candidates: () async throws(FundingError) -> [WalletOutput]
    ) async throws(FundingError) -> CoinSelection {
        while true {
            let offered = CoinSelection.economical(try await candidates(), feeRate: feeRate)
            let selection = try await notingImmature { () throws(FundingError) in
                try CoinSelection.select(from: offered, paying: output, feeRate: feeRate)
            }
            let spentElsewhere = try await spentOnChain(selection.inputs)
            guard !spentElsewhere.isEmpty else { return selection }
            // Each round marks at least one more output spent, so this ends.
            try await write(spentElsewhere.map { .walletOutputsSpent([$0.0], spendingTxid: $0.1) })
        }
    }

    /// Runs `body`; an insufficient-funds error it throws also says how much the wallet holds in
    /// coinbase outputs not mature yet (spendable later, not now).
    func notingImmature<T>(_ body: () async throws(FundingError) -> T) async throws(FundingError) -> T {
        do { return try await body() } catch {
            guard case .insufficientFunds = error.kind,
                let immature = try? await sortedOutputs().immature, !immature.isEmpty
            else { throw error }
            throw FundingError(
                error.kind,
                "\(error.message); \(Self.sum(immature)) more is in coinbase outputs under \(coinbaseMaturity) "
                    + "confirmations, not spendable yet")
        }
    }

    /// The outputs among `inputs` that a transaction the chain knows already spends.
    func spentOnChain(_ inputs: [WalletOutput]) async throws(FundingError) -> [(OutPoint, Hash256)] {
        var spent: [(OutPoint, Hash256)] = []
        for input in inputs {
            let spender: Hash256?
            do { spender = try await chain.spender(of: input.outpoint) } catch {
                throw FundingError(.unavailable, "cannot check \(input.outpoint) on the chain: \(error)")
            }
            if let spender { spent.append((input.outpoint, spender)) }
        }
        return spent
    }

    /// Reserves a key of `family` and returns its P2WPKH script, now watched.
    func newKey(_ family: KeyFamily) async throws(FundingError)
        -> (script: Script, reference: WalletKeyReference, publicKey: PublicKey)
    {
        let index = try await Self.storeCall { () async throws(StoreError) in try await store.reserveKeyIndex(family) }
        let reference = WalletKeyReference(family: family, index: index)
        let publicKey = try WatchedScripts.publicKey(of: reference, keychain: keychain)
        try noteUsed([reference])
        return (.p2wpkh(publicKey: publicKey), reference, publicKey)
    }

    /// Reserves key indexes until each of `references` is reserved, so that no key the chain
    /// shows paid is handed out again (a wallet restored from its seed).
    func reserveKeys(through references: [WalletKeyReference]) async throws(FundingError) {
        var highest: [KeyFamily: UInt32] = [:]
        for reference in references { highest[reference.family] = max(highest[reference.family] ?? 0, reference.index) }
        for (family, index) in highest {
            while try await Self.storeCall({ () async throws(StoreError) in try await store.nextKeyIndex(family) })
                <= index
            {
                _ = try await Self.storeCall { () async throws(StoreError) in try await store.reserveKeyIndex(family) }
            }
        }
    }

    /// Marks keys used and watches the gap past them; returns whether more scripts are watched.
    @discardableResult
    func noteUsed(_ references: [WalletKeyReference]) throws(FundingError) -> Bool {
        var watched = state.withLock { $0.watched }
        for reference in references { watched.noteUsed(reference.family, below: reference.index &+ 1) }
        let grown = try watched.extend(keychain: keychain, gapLimit: configuration.gapLimit)
        state.withLock { $0.watched = watched }
        return !grown.isEmpty
    }

    /// The stored outputs, from the cache once it is filled; `ordered` sorts them by outpoint
    /// (a cost that grows with the wallet's history, so only where the order matters).
    func storedOutputs(unspentOnly: Bool, ordered: Bool = true) async throws(FundingError) -> [WalletOutput] {
        let cached = state.withLock { $0.cache?.walletOutputs }
        let outputs: [WalletOutput]
        if let cached {
            outputs = ordered ? Array(cached.values).sorted(by: StoreOrdering.wallet) : Array(cached.values)
        } else {
            outputs = try await Self.storeCall { () async throws(StoreError) in
                try await store.walletOutputs(unspentOnly: false)
            }
            state.withLock { state in
                var cache = StoreState()
                for output in outputs { cache.walletOutputs[output.outpoint] = output }
                state.cache = cache
            }
        }
        return unspentOnly ? outputs.filter { $0.spentBy == nil } : outputs
    }

    /// The stored outputs as a ``StoreState`` to plan writes on.
    func storedView() async throws(FundingError) -> StoreState {
        var view = StoreState()
        for output in try await storedOutputs(unspentOnly: false, ordered: false) {
            view.walletOutputs[output.outpoint] = output
        }
        return view
    }

    /// Writes durably, keeping the cache in step (dropping it when the write fails).
    func write(_ writes: [StoreWrite]) async throws(FundingError) {
        guard !writes.isEmpty else { return }
        do {
            try await Self.storeCall { () async throws(StoreError) in try await store.write(writes) }
        } catch {
            state.withLock { $0.cache = nil }
            throw error
        }
        state.withLock { state in
            guard var cache = state.cache else { return }
            do throws(StoreError) {
                for write in writes { try cache.apply(write, now: 0) }
                state.cache = cache
            } catch {
                state.cache = nil
            }
        }
    }

    /// Runs a store call, turning its error into `.unavailable`.
    static func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(FundingError) -> T {
        do { return try await body() } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
    }

    static func sum(_ amounts: [Amount]) -> Amount {
        (try? Amount.sum(amounts)) ?? .maxMoney
    }

    static func sum(_ outputs: [WalletOutput]) -> Amount { sum(outputs.map(\.value)) }
}
