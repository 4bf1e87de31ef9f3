extension Transaction {
    /// The rate this transaction pays when its fee is `fee`, by its current virtual size.
    public func feeRate(paying fee: Amount) throws(FeeError) -> FeeRate {
        try FeeRate(fee: fee, virtualSize: virtualSize)
    }
}
