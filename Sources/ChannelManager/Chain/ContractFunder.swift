import BitcoinPrimitives

/// Why a wallet could not fund a contract.
public struct FundingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    public enum Kind: Sendable, Hashable {
        /// Not enough spendable (segwit) value for the output and the fee.
        case insufficientFunds(available: Amount, needed: Amount)
        /// The wallet's store or chain failed.
        case unavailable
        /// The wallet refuses the request (for example a dust or zero output).
        case refused
        /// The chain refused the transaction the wallet signed (its inputs were released).
        case broadcastRefused(ChainError.Kind)
    }

    /// What kind of failure it is.
    public let kind: Kind
    /// What went wrong, for people.
    public let message: String

    /// An error of `kind`, with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "funding error: \(message)" }
}

/// A wallet that funds channel contracts for the client manager.
public protocol ContractFunder: Sendable {
    /// Builds and signs a transaction whose output 0 is exactly `output`. Its inputs must all be
    /// segwit, so that its txid cannot be malleated. The inputs are durably marked as spent by
    /// it before it is returned.
    func fundContract(paying output: TransactionOutput) async throws(FundingError) -> Transaction
    /// The contract will never be broadcast (the channel was not opened): its inputs may be
    /// spent again.
    func contractAbandoned(_ contract: Transaction) async
    /// Called by ``ClientManager/start()``, before any session runs, with the txid of every
    /// contract the client has stored. Any other contract this funder funded was never stored,
    /// so never handed to a server: the process stopped between funding and storing it, before
    /// it could call ``contractAbandoned(_:)``. Treat those as abandoned (their inputs may be
    /// spent again) unless the chain knows them. The default does nothing.
    func releaseContracts(notAmong stored: Set<Hash256>) async
}

extension ContractFunder {
    public func releaseContracts(notAmong stored: Set<Hash256>) async {}
}
