import BitcoinPrimitives
import ChannelManager

extension BitcoinCoreChain {
    /// Where `txid` stands: `.inMempool` when `getmempoolentry` knows it; `.confirmed` when its
    /// output 0 is unspent in the chain (`gettxout`, which gives the confirmations) or the
    /// attached block index has it in a block; otherwise `.unknown`. Without a block index a
    /// mined transaction whose output 0 is spent reads as `.unknown`: the node keeps no record
    /// of it without `-txindex`.
    public func status(of txid: Hash256) async throws(ChainError) -> TransactionStatus {
        let hex = JSONValue.string(txid.displayHex)
        do throws(RPCError) {
            let outcomes = try await rpc.batch([
                RPCCall("getmempoolentry", [hex]), RPCCall("gettxout", [hex, 0, false]),
            ])
            switch outcomes[0] {
            case .success(let entry):
                _ = try entry.member("vsize").integer()  // an entry, not something else
                return .inMempool
            case .failure(.node(let code, _)) where code == RPCError.notFound:
                break
            case .failure(let error):
                throw error
            }
            let output = try outcomes[1].get()
            if !output.isNull {
                let confirmations = try output.member("confirmations").integer()
                guard confirmations > 0, confirmations <= Int64(UInt32.max) else {
                    throw RPCError.unavailable("gettxout answered \(confirmations) confirmations")
                }
                return .confirmed(confirmations: UInt32(confirmations))
            }
        } catch {
            throw error.chainError
        }
        if let history = confirmedHistory, let confirmations = try await history.confirmations(of: txid) {
            return .confirmed(confirmations: confirmations)
        }
        return .unknown
    }

    /// The transaction spending `outpoint`: the mempool's (`gettxspendingprevout`); none when
    /// the output is unspent (`gettxout`, mempool included); else the attached block index's
    /// confirmed spender. An output neither unspent nor spent in the mempool is spent in a block
    /// or never existed: without a block index that cannot be told, and the answer is
    /// `.unavailable` rather than a guess.
    public func spender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? {
        let txid = JSONValue.string(outpoint.txid.displayHex)
        let vout = JSONValue.integer(Int64(outpoint.index))
        do throws(RPCError) {
            let outcomes = try await rpc.batch([
                RPCCall("gettxspendingprevout", [[["txid": txid, "vout": vout]]]),
                RPCCall("gettxout", [txid, vout, true]),
            ])
            let spends = try outcomes[0].get().array()
            guard spends.count == 1 else {
                throw RPCError.unavailable("gettxspendingprevout answered \(spends.count) entries for one outpoint")
            }
            let spender = try spends[0].member("spendingtxid")
            if !spender.isNull { return try Self.hash(spender, "gettxspendingprevout") }
            if try !outcomes[1].get().isNull { return nil }
        } catch {
            throw error.chainError
        }
        guard let history = confirmedHistory else {
            throw ChainError(
                .unavailable,
                "\(outpoint) is neither unspent nor spent in the mempool: it is spent in a block or unknown, which needs a block index to tell"
            )
        }
        return try await history.confirmedSpender(of: outpoint)
    }

    /// `txid` from the mempool (`getrawtransaction`, which without `-txindex` knows only mempool
    /// transactions), else from the attached block index; nil when neither has it. The
    /// transaction is parsed with our own parser and must hash to `txid`.
    public func fetchTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? {
        do throws(RPCError) {
            let answer = try await rpc.call("getrawtransaction", [.string(txid.displayHex), false])
            let transaction: Transaction
            do { transaction = try Transaction(hex: try answer.string()) } catch {
                throw RPCError.unavailable("getrawtransaction answered a transaction we cannot parse: \(error)")
            }
            guard transaction.txid == txid else {
                throw RPCError.unavailable("getrawtransaction answered \(transaction.txid) for \(txid)")
            }
            return transaction
        } catch .node(let code, _) where code == RPCError.notFound {
            return try await confirmedHistory?.confirmedTransaction(txid)
        } catch {
            throw error.chainError
        }
    }
}
