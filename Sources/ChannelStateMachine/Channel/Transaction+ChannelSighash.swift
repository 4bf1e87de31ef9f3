import BitcoinPrimitives

extension Transaction {
    /// The legacy sighash of input 0 over `script`, for the refunds and settlements the
    /// machines sign. Throws a local error if the transaction has no input.
    func inputZeroSighash(_ script: Script, _ type: SighashType) throws(ChannelError) -> Hash256 {
        do { return try legacySignatureHash(inputIndex: 0, scriptCode: script, type: type) } catch {
            throw ChannelError(.other, "cannot hash input 0: \(error)", origin: .local)
        }
    }
}
