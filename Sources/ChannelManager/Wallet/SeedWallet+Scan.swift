import BitcoinPrimitives

extension SeedWallet {
    /// Finds the wallet's coins in the chain's UTXO set with `scanner` (Bitcoin Core's
    /// `scantxoutset` with the descriptors `wpkh(KEY)` and `pkh(KEY)` of every watched key): for a
    /// first start with an old birthday, or a seed restored without its database. Each coin found
    /// is stored with its height (a stored one gets its height); a coin paying a key near the end
    /// of the watched range widens it, and the new keys are scanned too. Key indexes up to the
    /// highest found are reserved, so that no address is handed out again.
    ///
    /// Follow the chain from the returned scan's tip afterwards: spends after it are the
    /// follower's to report.
    @discardableResult
    public func scanUnspentOutputs(with scanner: any UnspentOutputScanner) async throws(FundingError)
        -> UnspentOutputScan
    {
        await gate.enter()
        defer { gate.leave() }
        var scanned: Set<OutputDescriptor> = []
        var found: [ScannedOutput] = []
        var last: UnspentOutputScan?
        while true {
            let descriptors = state.withLock { $0.watched.descriptors }.filter { !scanned.contains($0) }
            guard !descriptors.isEmpty else { break }
            scanned.formUnion(descriptors)
            let scan: UnspentOutputScan
            do { scan = try await scanner.scanUnspentOutputs(matching: descriptors) } catch {
                throw FundingError(.unavailable, "cannot scan the UTXO set: \(error)")
            }
            last = scan
            found += scan.outputs
            let watched = state.withLock { $0.watched }
            let references = scan.outputs.compactMap { watched.reference(of: $0.output.scriptPubKey) }
            guard try noteUsed(references) else { break }
        }
        let watched = state.withLock { $0.watched }
        var view = try await storedView()
        var writes: [StoreWrite] = []
        for coin in found {
            guard let reference = watched.reference(of: coin.output.scriptPubKey) else { continue }
            let write: StoreWrite
            if let stored = view.walletOutputs[coin.outpoint] {
                guard stored.confirmedHeight != coin.height else { continue }
                write = .walletOutputConfirmed(coin.outpoint, height: coin.height)
            } else {
                write = .walletOutputAdded(
                    WalletOutput(
                        outpoint: coin.outpoint, value: coin.output.value, scriptPubKey: coin.output.scriptPubKey,
                        keyFamily: reference.family, keyIndex: reference.index, confirmedHeight: coin.height,
                        isCoinbase: coin.isCoinbase))
            }
            do { try view.apply(write, now: 0) } catch { throw FundingError(.unavailable, "wallet store: \(error)") }
            writes.append(write)
        }
        try await reserveKeys(through: found.compactMap { watched.reference(of: $0.output.scriptPubKey) })
        try await write(writes)
        if let last { state.withLock { $0.tip = max($0.tip ?? last.height, last.height) } }
        return last ?? UnspentOutputScan(height: state.withLock { $0.tip } ?? 0, blockHash: nil, outputs: [])
    }
}
