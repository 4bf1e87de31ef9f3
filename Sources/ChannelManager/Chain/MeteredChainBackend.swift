import BitcoinPrimitives
import Metrics

/// A chain backend that counts its calls: `paychan_chain_calls_total` and
/// `paychan_chain_errors_total` (swift-metrics), labelled by `call` (`broadcast`, `status`,
/// `spender`, `fetch_transaction`, `lock_time_reference`, `fee_rate`). Every call and its answer
/// pass through unchanged.
public struct MeteredChainBackend: ChainBackend {
    private struct Call: Sendable {
        let calls: Counter
        let errors: Counter

        init(_ name: String) {
            calls = Counter(label: "paychan_chain_calls_total", dimensions: [("call", name)])
            errors = Counter(label: "paychan_chain_errors_total", dimensions: [("call", name)])
        }

        func count<T>(_ body: () async throws(ChainError) -> T) async throws(ChainError) -> T {
            calls.increment()
            do { return try await body() } catch {
                errors.increment()
                throw error
            }
        }
    }

    private let backend: any ChainBackend
    private let broadcastCall = Call("broadcast")
    private let statusCall = Call("status")
    private let spenderCall = Call("spender")
    private let fetchCall = Call("fetch_transaction")
    private let lockTimeCall = Call("lock_time_reference")
    private let feeRateCall = Call("fee_rate")

    /// Counts the calls made to `backend` (the counters exist, at zero, from here on).
    public init(_ backend: any ChainBackend) { self.backend = backend }

    /// Broadcasts through the wrapped backend, counted as `broadcast`.
    public func broadcast(_ transaction: Transaction) async throws(ChainError) {
        try await broadcastCall.count { () async throws(ChainError) in try await backend.broadcast(transaction) }
    }

    /// The wrapped backend's answer, counted as `status`.
    public func status(of txid: Hash256) async throws(ChainError) -> TransactionStatus {
        try await statusCall.count { () async throws(ChainError) in try await backend.status(of: txid) }
    }

    /// The wrapped backend's answer, counted as `spender`.
    public func spender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? {
        try await spenderCall.count { () async throws(ChainError) in try await backend.spender(of: outpoint) }
    }

    /// The wrapped backend's answer, counted as `fetch_transaction`.
    public func fetchTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? {
        try await fetchCall.count { () async throws(ChainError) in try await backend.fetchTransaction(txid) }
    }

    /// The wrapped backend's answer, counted as `lock_time_reference`.
    public func lockTimeReference() async throws(ChainError) -> UInt64 {
        try await lockTimeCall.count { () async throws(ChainError) in try await backend.lockTimeReference() }
    }

    /// The wrapped backend's answer, counted as `fee_rate`.
    public func feeRate(targetBlocks: Int) async throws(ChainError) -> FeeRate {
        try await feeRateCall.count { () async throws(ChainError) in
            try await backend.feeRate(targetBlocks: targetBlocks)
        }
    }
}
