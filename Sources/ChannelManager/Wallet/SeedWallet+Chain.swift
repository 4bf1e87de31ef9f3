import BitcoinPrimitives

// MARK: Following the chain

extension SeedWallet {
    /// Records what the block at `height` (its `transactions`, in block order) does to the
    /// wallet: outputs paying its scripts are added (or marked mined at `height`), outputs of its
    /// spent by a transaction of the block are marked spent at `height` (a transaction of the
    /// wallet's own that the block's one conflicts with is abandoned: its other inputs come
    /// back, its change is forgotten). A coin paying a key past the last one used widens what
    /// the wallet watches, and the block is looked at again.
    ///
    /// Durable before it returns. Handing the same block again changes nothing, so a follower
    /// that stopped between this write and its own cursor may replay it.
    public func blockConnected(transactions: [Transaction], height: Int) async throws(FundingError) {
        await gate.enter()
        defer { gate.leave() }
        try await refreshReservedKeys()
        var view = try await storedView()
        var writes: [StoreWrite] = []
        repeat {
            for transaction in transactions {
                try record(transaction, height: height, view: &view, writes: &writes)
            }
        } while try noteUsed(Self.referencesPaid(by: transactions, in: view))
        try await reserveKeys(through: Self.referencesPaid(by: transactions, in: view))
        try await write(writes)
        state.withLock { $0.tip = max($0.tip ?? height, height) }
    }

    /// Undoes what ``blockConnected(transactions:height:)`` recorded for the block at `height`,
    /// which left the best chain: spends seen in it are forgotten (a spend the wallet signed
    /// itself stays, unmined, since its transaction goes back to the mempool); outputs created in
    /// it are deleted, except those of the wallet's own transactions, which become unconfirmed.
    /// So a reorg cannot leave coins that no longer exist. Durable before it returns; handing
    /// the same height again changes nothing.
    public func blockDisconnected(height: Int) async throws(FundingError) {
        await gate.enter()
        defer { gate.leave() }
        var view = try await storedView()
        var writes: [StoreWrite] = []
        func apply(_ write: StoreWrite) throws(FundingError) {
            do { try view.apply(write, now: 0) } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
            writes.append(write)
        }
        let spentHere = view.walletOutputs.values.filter { $0.spendHeight == height }.map(\.outpoint)
        for outpoint in spentHere {
            guard var output = view.walletOutputs[outpoint] else { continue }
            if output.spendLearntFromChain { output.spentBy = nil }
            output.spendHeight = nil
            output.spendLearntFromChain = false
            try apply(.walletOutputUpdated(output))
        }
        let ownTransactions = Set(view.walletOutputs.values.compactMap(\.spentBy))
        let createdHere = view.walletOutputs.values.filter { $0.confirmedHeight == height }.map(\.outpoint)
        for outpoint in createdHere.sorted(by: StoreOrdering.outpoint) {
            guard var output = view.walletOutputs[outpoint] else { continue }
            if ownTransactions.contains(outpoint.txid) {
                output.confirmedHeight = nil
                try apply(.walletOutputUpdated(output))
                continue
            }
            // A transaction of ours spending it cannot stand without it.
            if let spender = output.spentBy { try apply(.walletSpendAbandoned(spendingTxid: spender)) }
            try apply(.walletOutputRemoved(outpoint))
        }
        try await write(writes)
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
        var view = try await storedView()
        let before = view.walletOutputs
        var writes: [StoreWrite] = []
        repeat {
            try record(transaction, height: height, view: &view, writes: &writes)
        } while try noteUsed(Self.referencesPaid(by: [transaction], in: view))
        try await reserveKeys(through: Self.referencesPaid(by: [transaction], in: view))
        try await write(writes)
        return transaction.outputs.indices.compactMap { index in
            let outpoint = OutPoint(txid: transaction.txid, index: UInt32(index))
            return before[outpoint] == nil ? view.walletOutputs[outpoint] : nil
        }
    }

    /// Plans the writes `transaction` (mined at `height`, or not) calls for, applying them to
    /// `view` as it goes.
    private func record(_ transaction: Transaction, height: Int?, view: inout StoreState, writes: inout [StoreWrite])
        throws(FundingError)
    {
        func apply(_ write: StoreWrite) throws(FundingError) {
            do { try view.apply(write, now: 0) } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
            writes.append(write)
        }
        let txid = transaction.txid
        for input in transaction.inputs {
            guard let output = view.walletOutputs[input.previousOutput] else { continue }
            if output.spentBy == txid {
                guard let height, output.spendHeight != height else { continue }
                var mined = output
                mined.spendHeight = height
                try apply(.walletOutputUpdated(mined))
                continue
            }
            // Another transaction of ours spent it: that one can no longer be.
            if let other = output.spentBy { try apply(.walletSpendAbandoned(spendingTxid: other)) }
            guard var spent = view.walletOutputs[input.previousOutput] else { continue }
            spent.spentBy = txid
            spent.spendHeight = height
            spent.spendLearntFromChain = true
            try apply(.walletOutputUpdated(spent))
        }
        let watched = state.withLock { $0.watched }
        for (index, output) in transaction.outputs.enumerated() {
            guard let reference = watched.reference(of: output.scriptPubKey) else { continue }
            let outpoint = OutPoint(txid: txid, index: UInt32(index))
            if var stored = view.walletOutputs[outpoint] {
                guard let height, stored.confirmedHeight != height else { continue }
                stored.confirmedHeight = height
                try apply(.walletOutputUpdated(stored))
            } else {
                try apply(
                    .walletOutputAdded(
                        WalletOutput(
                            outpoint: outpoint, value: output.value, scriptPubKey: output.scriptPubKey,
                            keyFamily: reference.family, keyIndex: reference.index, confirmedHeight: height)))
            }
        }
    }

    /// The keys the wallet's outputs created by `transactions` pay.
    private static func referencesPaid(by transactions: [Transaction], in view: StoreState) -> [WalletKeyReference] {
        transactions.flatMap { transaction in
            let txid = transaction.txid
            return transaction.outputs.indices.compactMap { index in
                view.walletOutputs[OutPoint(txid: txid, index: UInt32(index))].map {
                    WalletKeyReference(family: $0.keyFamily, index: $0.keyIndex)
                }
            }
        }
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
