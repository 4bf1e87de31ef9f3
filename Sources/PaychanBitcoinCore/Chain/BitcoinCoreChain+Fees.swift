import BitcoinPrimitives
import ChannelManager

extension BitcoinCoreChain {
    /// The rate `estimatesmartfee` gives for `targetBlocks` (clamped to Core's 1...1008), or
    /// ``Configuration/fallbackFeeRate`` when the node has no estimate, raised to the node's
    /// floor: the larger of `getmempoolinfo`'s `minrelaytxfee` and `mempoolminfee` (one batch).
    public func feeRate(targetBlocks: Int) async throws(ChainError) -> FeeRate {
        let target = Int64(min(max(targetBlocks, 1), 1_008))
        do throws(RPCError) {
            let outcomes = try await rpc.batch([
                RPCCall("estimatesmartfee", [.integer(target), .string(configuration.estimateMode)]),
                RPCCall("getmempoolinfo"),
            ])
            let estimate = try outcomes[0].get()
            let mempool = try outcomes[1].get()
            let floor = max(
                try Self.rate(btcPerKilovirtualByte: mempool.member("minrelaytxfee")),
                try Self.rate(btcPerKilovirtualByte: mempool.member("mempoolminfee")))
            let feeRate = try estimate.member("feerate")
            let estimated =
                feeRate.isNull ? configuration.fallbackFeeRate : try Self.rate(btcPerKilovirtualByte: feeRate)
            return max(estimated, floor)
        } catch {
            throw error.chainError
        }
    }

    /// A rate Core writes in BTC per 1,000 virtual bytes.
    static func rate(btcPerKilovirtualByte value: JSONValue) throws(RPCError) -> FeeRate {
        let satoshis = try satoshis(btc: value)
        do { return try FeeRate(satoshisPerKilovirtualByte: satoshis) } catch {
            throw .unavailable("the node answered the fee rate \(value.summary): \(error)")
        }
    }

    /// An amount Core writes in BTC (8 decimals), in satoshis.
    static func satoshis(btc value: JSONValue) throws(RPCError) -> Int64 {
        let btc = try value.double()
        guard btc.isFinite, btc >= 0, btc <= 21_000_000 else {
            throw .unavailable("the node answered the amount \(value.summary) BTC")
        }
        return Int64((btc * 100_000_000).rounded())
    }
}
