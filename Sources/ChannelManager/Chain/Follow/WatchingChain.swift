import BitcoinPrimitives

/// A chain backend whose broadcasts a ``ChainFollower`` watches: before a transaction goes to
/// `backend`, the follower durably watches it as ours (rebroadcast if a reorg takes it off the
/// chain) and each of its outputs (who spends a contract, a settlement's outputs). So the
/// managers' contracts, settlements and refunds are in the follower's index, which answers
/// for them once they are mined and spent (``ConfirmedHistory``), whatever the node keeps.
/// Every other question goes to `backend` as is.
public struct WatchingChain: ChainBackend {
    /// Where transactions go and questions are answered.
    public let backend: any ChainBackend
    /// Who watches what is broadcast.
    public let follower: ChainFollower

    /// `backend`, its broadcasts watched by `follower`.
    public init(backend: any ChainBackend, follower: ChainFollower) {
        self.backend = backend
        self.follower = follower
    }

    /// Watches `transaction` and its outputs (durably), then broadcasts it. A watch the store
    /// refuses is `.unavailable`, and nothing is broadcast.
    public func broadcast(_ transaction: Transaction) async throws(ChainError) {
        let txid = transaction.txid
        let outputs = transaction.outputs.indices.map { ChainWatch.outpoint(OutPoint(txid: txid, index: UInt32($0))) }
        do { try await follower.watch([.ownTransaction(transaction)] + outputs) } catch {
            throw ChainError(.unavailable, "cannot watch \(txid.displayHex) before its broadcast: \(error)")
        }
        try await backend.broadcast(transaction)
    }

    /// `backend`'s answer.
    public func status(of txid: Hash256) async throws(ChainError) -> TransactionStatus {
        try await backend.status(of: txid)
    }

    /// `backend`'s answer.
    public func spender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? {
        try await backend.spender(of: outpoint)
    }

    /// `backend`'s answer.
    public func fetchTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? {
        try await backend.fetchTransaction(txid)
    }

    /// `backend`'s answer.
    public func lockTimeReference() async throws(ChainError) -> UInt64 {
        try await backend.lockTimeReference()
    }

    /// `backend`'s answer.
    public func feeRate(targetBlocks: Int) async throws(ChainError) -> FeeRate {
        try await backend.feeRate(targetBlocks: targetBlocks)
    }
}

extension WatchingChain: CoinbaseMaturityRule {
    /// `backend`'s rule when it has one, else Bitcoin's 100.
    public var coinbaseMaturity: Int {
        (backend as? any CoinbaseMaturityRule)?.coinbaseMaturity ?? SeedWallet.bitcoinCoinbaseMaturity
    }
}
