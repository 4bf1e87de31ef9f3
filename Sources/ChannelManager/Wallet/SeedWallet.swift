import BitcoinPrimitives
import Synchronization

/// A small wallet that funds channel contracts from P2WPKH outputs of keys derived from the
/// seed (``KeyFamily/walletReceive`` for addresses handed out, ``KeyFamily/walletChange``
/// for change), keeping its outputs in a ``ChannelStore``.
///
/// ## Segwit only
///
/// The wallet only ever spends P2WPKH outputs whose script is exactly that of the key the store
/// names for them, and so signs only segwit inputs: the txid of a contract it funds cannot be
/// changed by anyone (bitcoinj#830: a v1 server malleating a contract funded from legacy
/// inputs voids the client's refund). Anything else in the store is ignored (reported as
/// ``WalletBalance/unusable``).
///
/// ## Funding
///
/// ``fundContract(paying:)`` selects outputs largest first, pays the fee at the chain's
/// estimate for ``feeTarget`` blocks on the transaction's real size, sends change above the
/// dust limit to a new change key (a dust remainder goes to the fee), signs every input
/// (BIP143), checks every input with ``ScriptVerifier``, and durably records the inputs as
/// spent and the change as the wallet's before returning. Fundings are serialized, so
/// concurrent ones never pick the same outputs.
///
/// ## Change of unbroadcast transactions
///
/// The change of a transaction the wallet signed is not spent until the chain knows that
/// transaction (``ChainMonitor/status(of:)``), since the contract may yet be abandoned; it is
/// deleted when ``contractAbandoned(_:)`` abandons it (should an abandoned contract reach the
/// chain after all, hand it to ``receive(_:)`` to get the change back). Before spending an output the wallet
/// also asks the chain whether something already spends it (say, a contract it abandoned that
/// the server broadcast after all), and if so records that and chooses again.
public final class SeedWallet: ContractFunder {
    /// The fee estimate's confirmation target.
    public let feeTarget: Int

    private struct KeyReference: Hashable {
        let family: KeyFamily
        let index: UInt32
    }

    private struct State {
        /// The P2WPKH script of every wallet key handed out so far.
        var scripts: [Script: KeyReference] = [:]
        /// Txids of the wallet's own transactions the chain was seen to know.
        var seenOnChain: Set<Hash256> = []
        /// The wallet's stored outputs, loaded once and kept in step with every write the wallet
        /// makes (nil until loaded, or after a failed write), so that funding does not re-read
        /// the whole history from the store each time.
        var cache: StoreState?
    }

    private let keychain: ChannelKeychain
    private let store: any ChannelStore
    private let chain: any ChainMonitor & FeeEstimator
    private let state = Mutex(State())
    private let gate = AsyncGate()

    /// Opens the wallet kept in `store`, deriving the scripts of every key it has handed out.
    /// - Parameters:
    ///   - chain: fee estimates, and whether the wallet's own transactions reached the chain.
    ///   - feeTarget: the confirmation target, in blocks, fees are estimated for.
    public init(
        keychain: ChannelKeychain, store: any ChannelStore, chain: any ChainMonitor & FeeEstimator, feeTarget: Int = 6
    ) async throws(FundingError) {
        self.keychain = keychain
        self.store = store
        self.chain = chain
        self.feeTarget = feeTarget
        var scripts: [Script: KeyReference] = [:]
        for family in [KeyFamily.walletReceive, .walletChange] {
            let next = try await Self.storeCall { () async throws(StoreError) in try await store.nextKeyIndex(family) }
            for index in 0..<next {
                let reference = KeyReference(family: family, index: index)
                scripts[try Self.script(of: reference, keychain: keychain)] = reference
            }
        }
        state.withLock { $0.scripts = scripts }
    }

    // MARK: Receiving

    /// A new P2WPKH script to receive coins on (a fresh ``KeyFamily/walletReceive`` key).
    public func receiveScript() async throws(FundingError) -> Script {
        try await newKey(.walletReceive).script
    }

    /// A new P2WPKH address to receive coins on.
    public func receiveAddress(network: Network) async throws(FundingError) -> Address {
        let script = try await receiveScript()
        do { return try Address(scriptPubKey: script, network: network) } catch {
            throw FundingError(.unavailable, "no address for \(script): \(error)")
        }
    }

    /// Records the outputs of `transaction` that pay the wallet's keys, and the wallet outputs
    /// it spends. Call it for every transaction paying the wallet (and, if you like, for the
    /// wallet's own once they are on the chain). Returns the outputs added.
    @discardableResult
    public func receive(_ transaction: Transaction) async throws(FundingError) -> [WalletOutput] {
        await gate.enter()
        defer { gate.leave() }
        let txid = transaction.txid
        let stored = try await storedOutputs(unspentOnly: false)
        let known = Dictionary(stored.map { ($0.outpoint, $0) }, uniquingKeysWith: { first, _ in first })
        let spent = transaction.inputs.map(\.previousOutput).filter {
            guard let output = known[$0] else { return false }
            return output.spentBy != txid
        }
        let scripts = state.withLock { $0.scripts }
        var added: [WalletOutput] = []
        for (index, output) in transaction.outputs.enumerated() {
            let outpoint = OutPoint(txid: txid, index: UInt32(index))
            guard known[outpoint] == nil, let reference = scripts[output.scriptPubKey] else { continue }
            added.append(
                WalletOutput(
                    outpoint: outpoint, value: output.value, scriptPubKey: output.scriptPubKey,
                    keyFamily: reference.family, keyIndex: reference.index))
        }
        var writes = added.map(StoreWrite.walletOutputAdded)
        if !spent.isEmpty { writes.append(.walletOutputsSpent(spent, spendingTxid: txid)) }
        if !writes.isEmpty { try await write(writes) }
        return added
    }

    // MARK: Balance

    /// What the wallet holds (asks the chain about the change of its own transactions).
    public func balance() async throws(FundingError) -> WalletBalance {
        let sorted = try await sortedOutputs()
        let feeRate = (try? await chain.feeRate(targetBlocks: feeTarget)) ?? .zero
        let economical = CoinSelection.economical(sorted.spendable, feeRate: feeRate)
        let uneconomical = sorted.spendable.filter { !economical.contains($0) }
        return WalletBalance(
            available: Self.sum(economical), pending: Self.sum(sorted.pending),
            unusable: Self.sum(sorted.unusable + uneconomical))
    }

    /// The outputs the wallet would spend now.
    public func spendableOutputs() async throws(FundingError) -> [WalletOutput] {
        try await sortedOutputs().spendable.sorted(by: StoreOrdering.wallet)
    }

    // MARK: ContractFunder

    public func fundContract(paying output: TransactionOutput) async throws(FundingError) -> Transaction {
        guard output.value > .zero, !output.isDust() else {
            throw FundingError(.refused, "the output of \(output.value) is zero or dust")
        }
        await gate.enter()
        defer { gate.leave() }
        let feeRate: FeeRate
        do { feeRate = try await chain.feeRate(targetBlocks: feeTarget) } catch {
            throw FundingError(.unavailable, "no fee estimate: \(error)")
        }
        let selection = try await select(paying: output, feeRate: feeRate)
        var outputs = [output]
        var changeOutput: WalletOutput?
        if let change = selection.change {
            let (script, reference) = try await newKey(.walletChange)
            outputs.append(TransactionOutput(value: change, scriptPubKey: script))
            // The outpoint is set once the transaction is signed.
            changeOutput = WalletOutput(
                outpoint: OutPoint(txid: .zero, index: 1), value: change, scriptPubKey: script,
                keyFamily: reference.family, keyIndex: reference.index)
        }
        let transaction = try sign(
            Transaction(
                version: 2, inputs: selection.inputs.map { TransactionInput(previousOutput: $0.outpoint) },
                outputs: outputs, lockTime: 0),
            spending: selection.inputs)
        let txid = transaction.txid
        var writes: [StoreWrite] = [.walletOutputsSpent(selection.inputs.map(\.outpoint), spendingTxid: txid)]
        if var changeOutput {
            changeOutput.outpoint = OutPoint(txid: txid, index: 1)
            writes.append(.walletOutputAdded(changeOutput))
        }
        try await write(writes)
        return transaction
    }

    /// Makes the contract's inputs spendable again and forgets its change, unless the chain
    /// already knows the contract (then its inputs really are spent). Failures are ignored:
    /// the next funding notices outputs the chain says are spent.
    public func contractAbandoned(_ contract: Transaction) async {
        await gate.enter()
        defer { gate.leave() }
        let txid = contract.txid
        if let status = try? await chain.status(of: txid), status != .unknown { return }
        try? await write([.walletSpendAbandoned(spendingTxid: txid)])
    }

    /// Abandons, as ``contractAbandoned(_:)`` does, every transaction spending wallet outputs
    /// that is not among `stored` and that the chain does not know: a contract funded by a
    /// process that died before storing its channel (the wallet signs nothing but contracts).
    /// Without this its inputs, and its change, would stay unspendable for good. Failures are
    /// ignored (the transaction stays as it is).
    public func releaseContracts(notAmong stored: Set<Hash256>) async {
        await gate.enter()
        defer { gate.leave() }
        guard let outputs = try? await storedOutputs(unspentOnly: false) else { return }
        var seen = stored
        for output in outputs {
            guard let txid = output.spentBy, seen.insert(txid).inserted,
                let status = try? await chain.status(of: txid), status == .unknown
            else { continue }
            try? await write([.walletSpendAbandoned(spendingTxid: txid)])
        }
    }
}

// MARK: - Internals

extension SeedWallet {
    /// Stored outputs sorted by what the wallet may do with them.
    fileprivate struct SortedOutputs {
        var spendable: [WalletOutput] = []
        var pending: [WalletOutput] = []
        var unusable: [WalletOutput] = []
    }

    /// Sorts the unspent stored outputs: P2WPKH of the key they name, and not change of a
    /// wallet transaction the chain does not know, are spendable. Each list is in no
    /// particular order.
    fileprivate func sortedOutputs() async throws(FundingError) -> SortedOutputs {
        let all = try await storedOutputs(unspentOnly: false, ordered: false)
        let ownTransactions = Set(all.compactMap(\.spentBy))
        let scripts = state.withLock { $0.scripts }
        var sorted = SortedOutputs()
        for output in all where output.spentBy == nil {
            guard case .p2wpkh = output.scriptPubKey.template,
                scripts[output.scriptPubKey] == KeyReference(family: output.keyFamily, index: output.keyIndex)
            else {
                sorted.unusable.append(output)
                continue
            }
            if ownTransactions.contains(output.outpoint.txid), await !chainKnows(output.outpoint.txid) {
                sorted.pending.append(output)
            } else {
                sorted.spendable.append(output)
            }
        }
        return sorted
    }

    /// Whether the chain knows the wallet transaction `txid` (remembered once seen).
    private func chainKnows(_ txid: Hash256) async -> Bool {
        if state.withLock({ $0.seenOnChain.contains(txid) }) { return true }
        guard let status = try? await chain.status(of: txid), status != .unknown else { return false }
        state.withLock { _ = $0.seenOnChain.insert(txid) }
        return true
    }

    /// Selects outputs for `output`, first recording as spent any the chain says something
    /// already spends.
    private func select(paying output: TransactionOutput, feeRate: FeeRate) async throws(FundingError)
        -> CoinSelection
    {
        while true {
            let candidates = CoinSelection.economical(try await sortedOutputs().spendable, feeRate: feeRate)
            let selection = try CoinSelection.select(from: candidates, paying: output, feeRate: feeRate)
            var spentElsewhere: [(OutPoint, Hash256)] = []
            for input in selection.inputs {
                let spender: Hash256?
                do { spender = try await chain.spender(of: input.outpoint) } catch {
                    throw FundingError(.unavailable, "cannot check \(input.outpoint) on the chain: \(error)")
                }
                if let spender { spentElsewhere.append((input.outpoint, spender)) }
            }
            guard !spentElsewhere.isEmpty else { return selection }
            // Each round marks at least one more output spent, so this ends.
            try await write(spentElsewhere.map { .walletOutputsSpent([$0.0], spendingTxid: $0.1) })
        }
    }

    /// Signs every input of `unsigned` (which spends `inputs`, in order) and verifies them.
    private func sign(_ unsigned: Transaction, spending inputs: [WalletOutput]) throws(FundingError) -> Transaction {
        var transaction = unsigned
        let spentOutputs = inputs.map { TransactionOutput(value: $0.value, scriptPubKey: $0.scriptPubKey) }
        for (index, input) in inputs.enumerated() {
            let reference = KeyReference(family: input.keyFamily, index: input.keyIndex)
            do {
                let key = try keychain.key(reference.family, index: reference.index)
                let signature = try unsigned.signSegwitV0Input(index, spentOutput: spentOutputs[index], key: key)
                transaction.inputs[index].witness = [signature.encoded, key.publicKey.bytes]
            } catch {
                throw FundingError(.unavailable, "cannot sign input \(index) (\(input.outpoint)): \(error)")
            }
        }
        do { try ScriptVerifier.verify(transaction: transaction, spentOutputs: spentOutputs) } catch {
            throw FundingError(.unavailable, "the signed transaction does not verify: \(error)")
        }
        return transaction
    }

    /// Reserves a key of `family` and returns its P2WPKH script, now known to the wallet.
    private func newKey(_ family: KeyFamily) async throws(FundingError) -> (script: Script, reference: KeyReference) {
        let index = try await Self.storeCall { () async throws(StoreError) in try await store.reserveKeyIndex(family) }
        let reference = KeyReference(family: family, index: index)
        let script = try Self.script(of: reference, keychain: keychain)
        state.withLock { $0.scripts[script] = reference }
        return (script, reference)
    }

    private static func script(of reference: KeyReference, keychain: ChannelKeychain) throws(FundingError) -> Script {
        do { return .p2wpkh(publicKey: try keychain.key(reference.family, index: reference.index).publicKey) } catch {
            throw FundingError(
                .unavailable,
                "cannot derive \(ChannelKeychain.path(reference.family, index: reference.index)): \(error)")
        }
    }

    /// The stored outputs, from the cache once it is filled; `ordered` sorts them by outpoint
    /// (a cost that grows with the wallet's history, so only where the order matters).
    private func storedOutputs(unspentOnly: Bool, ordered: Bool = true) async throws(FundingError)
        -> [WalletOutput]
    {
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

    private func write(_ writes: [StoreWrite]) async throws(FundingError) {
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
    private static func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(FundingError) -> T {
        do { return try await body() } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
    }

    private static func sum(_ outputs: [WalletOutput]) -> Amount {
        (try? Amount.sum(outputs.map(\.value))) ?? .maxMoney
    }
}
