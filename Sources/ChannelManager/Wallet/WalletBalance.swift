import BitcoinPrimitives

/// What a ``SeedWallet`` holds.
///
/// ``confirmed``, ``unconfirmed`` and ``lockedInChannels`` are what `paychan wallet balance`
/// prints; ``available``, ``pending`` and ``unusable`` say what can fund a contract now.
public struct WalletBalance: Sendable, Hashable, CustomStringConvertible {
    /// Unspent outputs the wallet can spend (P2WPKH of its keys, P2PKH of its channel keys) with
    /// at least one confirmation and at least the configured depth.
    public var confirmed: Amount
    /// Unspent outputs the wallet can spend that are not ``confirmed``: in the mempool, below
    /// the confirmation depth, coinbase outputs not mature yet (``immature`` included), or
    /// change of its own transactions not mined yet (``pending`` included).
    public var unconfirmed: Amount
    /// What the client's channels that are not settled or refunded still hold for it (their
    /// value left): it comes back to the wallet by the settlement or the refund.
    public var lockedInChannels: Amount
    /// Unspent P2WPKH outputs that may fund a contract now.
    public var available: Amount
    /// Change of transactions the wallet signed that the chain does not know yet: spendable
    /// once they are broadcast, gone if they are abandoned.
    public var pending: Amount
    /// Stored outputs the wallet will never spend: not P2WPKH or P2PKH of the key they name (see
    /// ``SeedWallet``), or P2WPKH worth less than the fee to spend them.
    public var unusable: Amount
    /// Coinbase outputs with fewer confirmations than ``SeedWallet/coinbaseMaturity`` (100 on
    /// Bitcoin): counted in ``unconfirmed``, never spent until mature.
    public var immature: Amount

    /// A balance of these amounts.
    public init(
        confirmed: Amount, unconfirmed: Amount, lockedInChannels: Amount, available: Amount, pending: Amount,
        unusable: Amount, immature: Amount = .zero
    ) {
        self.confirmed = confirmed
        self.unconfirmed = unconfirmed
        self.lockedInChannels = lockedInChannels
        self.available = available
        self.pending = pending
        self.unusable = unusable
        self.immature = immature
    }

    /// Available and pending together.
    public var total: Amount { (try? available.adding(pending)) ?? .maxMoney }

    public var description: String {
        "\(confirmed) confirmed, \(unconfirmed) unconfirmed, \(lockedInChannels) locked in channels "
            + "(\(available) available, \(pending) pending, \(unusable) unusable, \(immature) immature)"
    }
}
