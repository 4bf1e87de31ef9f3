import BitcoinPrimitives
import ChannelManager

/// A Bitcoin Core node's best chain as a ``ChannelManager/BlockSource`` for the chain follower:
/// `getblockchaininfo` (tip), `getblockhash`, `getblock` (raw, parsed by BitcoinPrimitives) and
/// `getblockheader`. Blocks and headers are checked to hash to what was asked for.
public struct BitcoinCoreBlockSource: BlockSource {
    /// The node's client.
    public let rpc: BitcoinCoreRPC

    /// Blocks from the node `rpc` talks to.
    public init(rpc: BitcoinCoreRPC) {
        self.rpc = rpc
    }

    /// Core's code for a parameter out of range (`RPC_INVALID_PARAMETER`), as a height above the tip.
    static let outOfRange: Int64 = -8

    /// The tip: `bestblockhash` and `blocks` of one `getblockchaininfo` (one consistent answer).
    public func bestTip() async throws(ChainError) -> BlockPosition {
        do throws(RPCError) {
            let info = try await rpc.call("getblockchaininfo")
            let height = try info.member("blocks").integer()
            guard height >= 0, height <= Int64(Int32.max) else {
                throw RPCError.unavailable("getblockchaininfo answered the height \(height)")
            }
            return BlockPosition(
                height: Int(height),
                hash: try BitcoinCoreChain.hash(try info.member("bestblockhash"), "getblockchaininfo"))
        } catch {
            throw error.chainError
        }
    }

    /// `getblockhash`; nil above the tip.
    public func blockHash(atHeight height: Int) async throws(ChainError) -> Hash256? {
        guard height >= 0 else { return nil }
        do throws(RPCError) {
            return try BitcoinCoreChain.hash(
                try await rpc.call("getblockhash", [.integer(Int64(height))]), "getblockhash")
        } catch .node(let code, _) where code == Self.outOfRange {
            return nil
        } catch {
            throw error.chainError
        }
    }

    /// `getblock HASH 0`, parsed and checked (its hash, its merkle root); nil when unknown.
    public func block(_ hash: Hash256) async throws(ChainError) -> Block? {
        do throws(RPCError) {
            let hex = try await rpc.call("getblock", [.string(hash.displayHex), 0]).string()
            let block: Block
            do {
                block = try Block(hex: hex)
                try block.validate()
            } catch {
                throw RPCError.unavailable("getblock answered a block we cannot parse: \(error)")
            }
            guard block.hash == hash else { throw RPCError.unavailable("getblock answered \(block.hash) for \(hash)") }
            return block
        } catch .node(let code, _) where code == RPCError.notFound {
            return nil
        } catch {
            throw error.chainError
        }
    }

    /// `getblockheader` raw and verbose (one batch): the parsed header and its height.
    public func header(_ hash: Hash256) async throws(ChainError) -> ChainHeader? {
        let id = JSONValue.string(hash.displayHex)
        do throws(RPCError) {
            let outcomes = try await rpc.batch([
                RPCCall("getblockheader", [id, false]), RPCCall("getblockheader", [id, true]),
            ])
            if case .failure(.node(let code, _)) = outcomes[0], code == RPCError.notFound { return nil }
            let header: BlockHeader
            do { header = try BlockHeader(hex: try outcomes[0].get().string()) } catch {
                throw RPCError.unavailable("getblockheader answered a header we cannot parse: \(error)")
            }
            guard header.hash == hash else {
                throw RPCError.unavailable("getblockheader answered \(header.hash) for \(hash)")
            }
            let height = try outcomes[1].get().member("height").integer()
            guard height >= 0, height <= Int64(Int32.max) else {
                throw RPCError.unavailable("getblockheader answered the height \(height)")
            }
            return ChainHeader(header: header, height: Int(height))
        } catch {
            throw error.chainError
        }
    }
}
