import ChannelManager

extension BitcoinCoreChain: ChainTipSource {
    /// The height of the node's best block (`getblockcount`).
    public func tipHeight() async throws(ChainError) -> Int {
        do throws(RPCError) {
            let height = try await rpc.call("getblockcount").integer()
            guard height >= 0, height <= Int64(Int32.max) else {
                throw RPCError.unavailable("getblockcount answered \(height)")
            }
            return Int(height)
        } catch {
            throw error.chainError
        }
    }
}
