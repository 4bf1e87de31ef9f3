import BitcoinPrimitives

extension MemoryChain: UnspentOutputScanner, ChainTipSource, CoinbaseMaturityRule {
    /// The mined unspent outputs paying any of `descriptors`, by outpoint (txid in display
    /// order, then index); mempool transactions and their spends are not looked at, as with
    /// Bitcoin Core's `scantxoutset`.
    public func scanUnspentOutputs(matching descriptors: [OutputDescriptor]) async throws(ChainError)
        -> UnspentOutputScan
    {
        let scripts = Set(descriptors.map(\.scriptPubKey))
        return state.withLock { state in
            var found: [ScannedOutput] = []
            for record in state.records.values {
                guard let height = record.blockHeight else { continue }
                for (index, output) in record.transaction.outputs.enumerated()
                where scripts.contains(output.scriptPubKey) {
                    let outpoint = OutPoint(txid: record.txid, index: UInt32(index))
                    if let spender = state.spenders[outpoint], state.liveRecord(spender)?.blockHeight != nil {
                        continue
                    }
                    found.append(
                        ScannedOutput(
                            outpoint: outpoint, output: output, height: height, isCoinbase: record.isCoinbase))
                }
            }
            found.sort { StoreOrdering.outpoint($0.outpoint, $1.outpoint) }
            return UnspentOutputScan(height: state.tipHeight, blockHash: nil, outputs: found)
        }
    }

    /// ``Configuration/coinbaseMaturity``.
    public var coinbaseMaturity: Int { configuration.coinbaseMaturity }

    /// The height of the tip.
    public func tipHeight() async throws(ChainError) -> Int { height }
}
