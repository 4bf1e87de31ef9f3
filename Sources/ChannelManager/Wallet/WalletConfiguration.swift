/// How a ``SeedWallet`` watches the chain and when it spends.
public struct WalletConfiguration: Sendable, Hashable {
    /// The confirmation target, in blocks, fees are estimated for.
    public var feeTarget: Int
    /// How many keys past the last one seen paid (or handed out) the wallet watches in each of
    /// its families: a wallet restored from its seed finds coins sent to addresses handed out
    /// before, as long as no run of this many unused addresses lies between them.
    public var gapLimit: Int
    /// How many confirmations a coin from someone else needs before it funds a contract or a
    /// send (1: mined). The wallet's own change counts as soon as the chain knows its
    /// transaction, which only the wallet could double-spend.
    public var minimumConfirmations: Int

    /// The defaults: fees for 6 blocks, a gap of 20 (as BIP44 wallets), one confirmation.
    public init(feeTarget: Int = 6, gapLimit: Int = 20, minimumConfirmations: Int = 1) {
        self.feeTarget = feeTarget
        self.gapLimit = gapLimit
        self.minimumConfirmations = minimumConfirmations
    }

    /// Checks the values: a positive fee target, a gap limit of 1 to 1,000, and 0 to 1,000
    /// confirmations.
    func validated() throws(FundingError) -> WalletConfiguration {
        guard feeTarget > 0 else { throw FundingError(.refused, "the fee target must be positive, not \(feeTarget)") }
        guard (1...1_000).contains(gapLimit) else {
            throw FundingError(.refused, "the gap limit must be between 1 and 1000, not \(gapLimit)")
        }
        guard (0...1_000).contains(minimumConfirmations) else {
            throw FundingError(
                .refused, "the confirmation depth must be between 0 and 1000, not \(minimumConfirmations)")
        }
        return self
    }
}
