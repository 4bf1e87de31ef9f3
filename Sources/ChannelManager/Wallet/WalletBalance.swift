import BitcoinPrimitives

/// What a ``SeedWallet`` holds, by whether it can be spent now.
public struct WalletBalance: Sendable, Hashable, CustomStringConvertible {
    /// Unspent P2WPKH outputs of the wallet's keys that it may spend now.
    public var available: Amount
    /// Change of transactions the wallet signed that the chain does not know yet: spendable
    /// once they are broadcast, gone if they are abandoned.
    public var pending: Amount
    /// Stored outputs the wallet will never spend: not P2WPKH of the key they name (see
    /// ``SeedWallet``), or worth less than the fee to spend them.
    public var unusable: Amount

    public init(available: Amount, pending: Amount, unusable: Amount) {
        self.available = available
        self.pending = pending
        self.unusable = unusable
    }

    /// Available and pending together.
    public var total: Amount { (try? available.adding(pending)) ?? .maxMoney }

    public var description: String { "\(available) available, \(pending) pending, \(unusable) unusable" }
}
