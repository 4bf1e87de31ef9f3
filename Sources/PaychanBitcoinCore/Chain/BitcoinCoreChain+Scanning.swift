import BitcoinPrimitives
import ChannelManager

extension BitcoinCoreChain: UnspentOutputScanner {
    /// Core's `scantxoutset start` with the descriptors (checksummed): the UTXO set's outputs
    /// paying them at the node's tip. Every output answered must pay one of the descriptors'
    /// scripts; each says whether it is a coinbase output (`coinbase`). A scan already running on the node (-8) is `.unavailable`, to be tried again.
    public func scanUnspentOutputs(matching descriptors: [OutputDescriptor]) async throws(ChainError)
        -> UnspentOutputScan
    {
        let scripts = Set(descriptors.map(\.scriptPubKey))
        do throws(RPCError) {
            let answer = try await rpc.call(
                "scantxoutset", ["start", .array(descriptors.map { .string($0.description) })])
            guard try answer.member("success").bool() else {
                throw RPCError.unavailable("scantxoutset did not complete")
            }
            let height = try answer.member("height").integer()
            guard height >= 0, height <= Int64(Int32.max) else {
                throw RPCError.unavailable("scantxoutset answered the height \(height)")
            }
            let tip = try Self.hash(try answer.member("bestblock"), "scantxoutset")
            var outputs: [ScannedOutput] = []
            for unspent in try answer.member("unspents").array() {
                let txid = try Self.hash(try unspent.member("txid"), "scantxoutset")
                let vout = try unspent.member("vout").integer()
                let outputHeight = try unspent.member("height").integer()
                guard let index = UInt32(exactly: vout), outputHeight >= 0, outputHeight <= height,
                    let scriptBytes = [UInt8](hex: try unspent.member("scriptPubKey").string())
                else { throw RPCError.unavailable("scantxoutset answered the output \(unspent.summary)") }
                let script = Script(bytes: scriptBytes)
                guard scripts.contains(script) else {
                    throw RPCError.unavailable("scantxoutset answered an output paying \(script), not asked for")
                }
                let value: Amount
                do { value = try Amount(satoshis: try Self.satoshis(btc: try unspent.member("amount"))) } catch {
                    throw RPCError.unavailable("scantxoutset answered the amount of \(unspent.summary)")
                }
                outputs.append(
                    ScannedOutput(
                        outpoint: OutPoint(txid: txid, index: index),
                        output: TransactionOutput(value: value, scriptPubKey: script),
                        height: Int(outputHeight), isCoinbase: try unspent.member("coinbase").bool()))
            }
            return UnspentOutputScan(height: Int(height), blockHash: tip, outputs: outputs)
        } catch .node(let code, let message) where code == BitcoinCoreBlockSource.outOfRange {
            throw ChainError(.unavailable, "scantxoutset: \(message)")
        } catch {
            throw error.chainError
        }
    }
}
