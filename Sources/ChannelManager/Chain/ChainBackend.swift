import BitcoinPrimitives

/// Where a transaction stands on a chain, as a backend sees it.
public enum TransactionStatus: Sendable, Hashable {
    /// Not known to the backend.
    case unknown
    /// In the mempool, not yet mined.
    case inMempool
    /// Mined; `confirmations` is 1 for a transaction in the tip block.
    case confirmed(confirmations: UInt32)
}

/// Why a chain backend refused or failed a request.
public struct ChainError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    public enum Kind: Sendable, Hashable {
        /// The transaction is invalid (bad signature, unknown or spent inputs, value too high).
        case rejected
        /// Valid, but not final yet (its lock time is in the future).
        case notFinal
        /// It spends an output another transaction already spends.
        case doubleSpend
        /// Valid, but its fee is too low to be relayed: below the node's minimum relay fee or
        /// its mempool's minimum, or too low to replace the transactions it conflicts with (BIP125
        /// rules 3 and 4). The same transaction may be accepted later or with a higher fee.
        case feeTooLow
        /// The backend could not be reached or answered nonsense.
        case unavailable
    }

    /// What kind of failure it is.
    public let kind: Kind
    /// The backend's own words.
    public let message: String

    /// An error of `kind`, with the backend's `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "chain error (\(kind)): \(message)" }
}

/// Sends transactions to the network.
public protocol TransactionBroadcaster: Sendable {
    /// Broadcasts `transaction`. Succeeds also when the backend already has it.
    func broadcast(_ transaction: Transaction) async throws(ChainError)
}

/// Answers questions about the chain that expiry and settlement need.
public protocol ChainMonitor: Sendable {
    /// Whether the transaction `txid` is unknown, in the mempool, or confirmed (and how deep).
    func status(of txid: Hash256) async throws(ChainError) -> TransactionStatus
    /// The txid of the transaction (mined or in the mempool) that spends `outpoint`, if any.
    func spender(of outpoint: OutPoint) async throws(ChainError) -> Hash256?
    /// A transaction mined or in the mempool, if the backend knows it.
    func fetchTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction?
    /// The time a time-based lock time is judged against (median time past on a real chain),
    /// in UNIX seconds.
    func lockTimeReference() async throws(ChainError) -> UInt64
}

/// Suggests fee rates.
public protocol FeeEstimator: Sendable {
    /// A fee rate expected to confirm within `targetBlocks`.
    func feeRate(targetBlocks: Int) async throws(ChainError) -> FeeRate
}

/// Everything the managers need from a chain.
public typealias ChainBackend = TransactionBroadcaster & ChainMonitor & FeeEstimator
