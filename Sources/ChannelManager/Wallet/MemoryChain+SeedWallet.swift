import BitcoinPrimitives

extension MemoryChain {
    /// Creates `amount` paying a new receive script of `wallet` (a coinbase mined at once, see
    /// ``fund(script:amount:)``) and hands the transaction, mined at the tip, to the wallet.
    @discardableResult
    public func fund(_ wallet: SeedWallet, amount: Amount) async throws(FundingError) -> Transaction {
        let funding = fund(script: try await wallet.receiveScript(), amount: amount)
        try await wallet.receive(funding, blockHeight: record(funding.txid)?.blockHeight)
        return funding
    }
}
