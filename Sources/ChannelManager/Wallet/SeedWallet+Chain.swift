import BitcoinPrimitives

// MARK: Following the chain

extension SeedWallet: ChainListener {
    /// The writes the block at `height` calls for (see ``blockConnected(transactions:height:)``),
    /// for a ``ChainFollower`` to enqueue with its cursor. The wallet plans later blocks on top of
    /// them, and takes them into its view once ``blockWritesDurable(at:)`` says they are durable.
    /// A failure to read the store returns no writes (the coins of the block are then found by
    /// a later ``scanUnspentOutputs(with:)``).
    public func blockConnected(_ block: Block, height: Int) async -> [StoreWrite] {
        await gate.enter()
        defer { gate.leave() }
        guard let plan = try? await planConnected(block.transactions, height: height, onPending: true) else {
            return []
        }
        state.withLock { state in
            state.pendingWrites += plan.writes
            state.pendingTip = height
            state.pendingKeys += plan.keys
        }
        return plan.writes
    }

    /// The writes undoing the block at `height` (see ``blockDisconnected(height:)``).
    public func blockDisconnected(_ block: Block, height: Int) async -> [StoreWrite] {
        await gate.enter()
        defer { gate.leave() }
        guard let writes = try? await planDisconnected(height: height, onPending: true) else { return [] }
        state.withLock { state in
            state.pendingWrites += writes
            state.pendingTip = height - 1
        }
        return writes
    }

    /// The follower's writes are durable: the wallet reads its outputs from the store again,
    /// and reserves the key indexes the blocks showed paid.
    public func blockWritesDurable(at position: BlockPosition?) async {
        await gate.enter()
        defer { gate.leave() }
        let keys = state.withLock { state -> [WalletKeyReference] in
            state.cache = nil
            state.pendingWrites = []
            if let tip = state.pendingTip { state.tip = tip }
            state.pendingTip = nil
            defer { state.pendingKeys = [] }
            return state.pendingKeys
        }
        try? await reserveKeys(through: keys)
    }

    /// Records, durably, what the block at `height` (its `transactions`, in block order) does to
    /// the wallet: outputs paying its scripts are added (or marked mined at `height`), outputs of
    /// its spent by a transaction of the block are marked spent at `height` (a transaction of the
    /// wallet's own that conflicts with it is abandoned: its other inputs come back, its change is
    /// forgotten). A coin paying a key past the last one used widens what the wallet watches, and
    /// the block is looked at again. For a wallet shown blocks without a ``ChainFollower``;
    /// handing the same block again changes nothing.
    public func blockConnected(transactions: [Transaction], height: Int) async throws(FundingError) {
        await gate.enter()
        defer { gate.leave() }
        let plan = try await planConnected(transactions, height: height, onPending: false)
        try await write(plan.writes)
        try await reserveKeys(through: plan.keys)
        state.withLock { $0.tip = max($0.tip ?? height, height) }
    }

    /// Undoes, durably, what the block at `height` brought, as it left the best chain: spends
    /// seen in it are forgotten (a spend the wallet signed itself stays, unmined, since its
    /// transaction goes back to the mempool); outputs created in it are deleted, except those of
    /// the wallet's own transactions, which become unconfirmed. So a reorg cannot leave coins
    /// that no longer exist. Handing the same height again changes nothing.
    public func blockDisconnected(height: Int) async throws(FundingError) {
        await gate.enter()
        defer { gate.leave() }
        try await write(try await planDisconnected(height: height, onPending: false))
        state.withLock { $0.tip = height - 1 }
    }

    /// Records the outputs of `transaction` that pay the wallet's scripts, and the wallet
    /// outputs it spends, as ``blockConnected(transactions:height:)`` does for one transaction.
    /// Use it for transactions seen in the mempool (`blockHeight` nil), or mined in a block the
    /// wallet is not shown. Without a height, a transaction the chain says is mined gets the
    /// height its confirmations give against the chain's tip (``ChainTipSource``), if known.
    /// Returns the outputs added.
    @discardableResult
    public func receive(_ transaction: Transaction, blockHeight: Int? = nil) async throws(FundingError)
        -> [WalletOutput]
    {
        await gate.enter()
        defer { gate.leave() }
        var height = blockHeight
        if height == nil, case .confirmed(let confirmations)? = try? await chain.status(of: transaction.txid),
            let tip = await currentTip()
        {
            height = tip - Int(confirmations) + 1
        }
        let before = try await storedView().walletOutputs
        let plan = try await planConnected([transaction], height: height, onPending: false)
        try await write(plan.writes)
        try await reserveKeys(through: plan.keys)
        let after = try await storedView().walletOutputs
        return transaction.outputs.indices.compactMap { index in
            let outpoint = OutPoint(txid: transaction.txid, index: UInt32(index))
            return before[outpoint] == nil ? after[outpoint] : nil
        }
    }

    // MARK: Planning

    /// The wallet's outputs as the store has them, with the pending follower writes on top
    /// when `onPending`.
    private func planningView(onPending: Bool) async throws(FundingError) -> StoreState {
        var view = try await storedView()
        guard onPending else { return view }
        for write in state.withLock({ $0.pendingWrites }) { try Self.apply(write, to: &view) }
        return view
    }

    /// The writes `transactions` (mined at `height`, or not) call for, and the keys they pay.
    private func planConnected(_ transactions: [Transaction], height: Int?, onPending: Bool)
        async throws(FundingError) -> (writes: [StoreWrite], keys: [WalletKeyReference])
    {
        try await refreshReservedKeys()
        var view = try await planningView(onPending: onPending)
        var writes: [StoreWrite] = []
        var keys: [WalletKeyReference] = []
        repeat {
            keys = []
            for transaction in transactions {
                keys += try record(transaction, height: height, view: &view, writes: &writes)
            }
        } while try noteUsed(keys)
        return (writes, keys)
    }

    /// The writes undoing the block at `height`.
    private func planDisconnected(height: Int, onPending: Bool) async throws(FundingError) -> [StoreWrite] {
        var view = try await planningView(onPending: onPending)
        var writes: [StoreWrite] = []
        func plan(_ write: StoreWrite) throws(FundingError) {
            try Self.apply(write, to: &view)
            writes.append(write)
        }
        let spentHere = view.walletOutputs.values.filter { $0.spendHeight == height }.map(\.outpoint)
        for outpoint in spentHere.sorted(by: StoreOrdering.outpoint) { try plan(.walletSpendUnseen(outpoint)) }
        let ownTransactions = Set(view.walletOutputs.values.compactMap(\.spentBy))
        let createdHere = view.walletOutputs.values.filter { $0.confirmedHeight == height }.map(\.outpoint)
        for outpoint in createdHere.sorted(by: StoreOrdering.outpoint) {
            guard let output = view.walletOutputs[outpoint] else { continue }
            if ownTransactions.contains(outpoint.txid) {
                try plan(.walletOutputConfirmed(outpoint, height: nil))
                continue
            }
            // A transaction of ours spending it cannot stand without it.
            if let spender = output.spentBy { try plan(.walletSpendAbandoned(spendingTxid: spender)) }
            try plan(.walletOutputRemoved(outpoint))
        }
        return writes
    }

    /// Plans the writes `transaction` (mined at `height`, or not) calls for, applying them to
    /// `view` as it goes. Returns the keys its outputs to the wallet pay.
    private func record(_ transaction: Transaction, height: Int?, view: inout StoreState, writes: inout [StoreWrite])
        throws(FundingError) -> [WalletKeyReference]
    {
        func plan(_ write: StoreWrite) throws(FundingError) {
            try Self.apply(write, to: &view)
            writes.append(write)
        }
        let txid = transaction.txid
        for input in transaction.inputs {
            guard let output = view.walletOutputs[input.previousOutput] else { continue }
            if output.spentBy == txid, output.spendHeight == height || height == nil { continue }
            // Another transaction of ours spent it: that one can no longer be.
            if let other = output.spentBy, other != txid { try plan(.walletSpendAbandoned(spendingTxid: other)) }
            try plan(.walletSpendSeen(input.previousOutput, spendingTxid: txid, height: height))
        }
        let watched = state.withLock { $0.watched }
        var keys: [WalletKeyReference] = []
        for (index, output) in transaction.outputs.enumerated() {
            guard let reference = watched.reference(of: output.scriptPubKey) else { continue }
            keys.append(reference)
            let outpoint = OutPoint(txid: txid, index: UInt32(index))
            if let stored = view.walletOutputs[outpoint] {
                guard let height, stored.confirmedHeight != height else { continue }
                try plan(.walletOutputConfirmed(outpoint, height: height))
            } else {
                try plan(
                    .walletOutputAdded(
                        WalletOutput(
                            outpoint: outpoint, value: output.value, scriptPubKey: output.scriptPubKey,
                            keyFamily: reference.family, keyIndex: reference.index, confirmedHeight: height,
                            isCoinbase: transaction.isCoinbase)))
            }
        }
        return keys
    }

    private static func apply(_ write: StoreWrite, to view: inout StoreState) throws(FundingError) {
        do { try view.apply(write, now: 0) } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
    }

    /// Watches the gap past keys handed out since the wallet opened (by this process or another
    /// sharing the store, say a client manager reserving channel keys).
    private func refreshReservedKeys() async throws(FundingError) {
        var references: [WalletKeyReference] = []
        for (family, _) in WatchedScripts.families {
            let next = try await Self.storeCall { () async throws(StoreError) in try await store.nextKeyIndex(family) }
            if next > 0 { references.append(WalletKeyReference(family: family, index: next - 1)) }
        }
        try noteUsed(references)
    }
}
