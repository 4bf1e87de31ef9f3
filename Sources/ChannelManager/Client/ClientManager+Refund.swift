import BitcoinPrimitives
import ChannelStateMachine

extension ClientManager {
    /// The refund deadline of `txid` passed: unless the server's settlement (or our refund)
    /// already spends the contract, broadcast the contract if the chain lacks it, then the
    /// refund. A refund refused because its lock time has not been reached on chain is tried
    /// again after ``ClientManagerConfig/refundRetryInterval``.
    func refundIfUnsettled(_ txid: Hash256) async {
        let stored: ClientChannelRecord?
        do { stored = try await store.clientChannel(contractTxid: txid) } catch {
            publish(.failure("refund of \(txid.displayHex): store unreadable: \(error)"))
            retryRefund(txid)
            return
        }
        guard let record = stored, [.opening, .open, .refused].contains(record.state) else { return }
        do throws(ChainError) {
            if let spender = try await chain.spender(of: OutPoint(txid: txid, index: 0)) {
                try? await recordEnd(of: record, spentBy: spender)
                return
            }
            if try await chain.status(of: txid) == .unknown {
                _ = await broadcast(record.contract, .contract)
            }
            guard await broadcast(record.refund, .refund) else {
                retryRefund(txid)
                return
            }
            try? await recordEnd(of: record, spentBy: record.refund.txid)
        } catch {
            publish(.failure("refund of \(txid.displayHex): chain unavailable: \(error)"))
            retryRefund(txid)
        }
    }

    /// Checks every stored channel past its refund time now (also run by the timers).
    public func refundExpiredChannels() async {
        guard let records = try? await store.clientChannels(serverID: nil, in: [.opening, .open, .refused]) else {
            return
        }
        let now = clock.now()
        for record in records where refundTime(record.expiry) <= now {
            await refundIfUnsettled(record.contractTxid)
        }
    }

    /// The stored record of `record`'s channel (which may have moved on since it was copied).
    func latestRecord(_ record: ClientChannelRecord) async -> ClientChannelRecord? {
        (try? await store.clientChannel(contractTxid: record.contractTxid)) ?? record
    }

    /// Looks for the settlement of a channel on chain (for a server that closed without sending
    /// it). A transaction spending the contract that pays us at least what our last signature
    /// left us is recorded as the settlement and returned.
    func settlementFromChain(_ record: ClientChannelRecord) async -> Transaction? {
        let txid = record.contractTxid
        guard let spender = try? await chain.spender(of: OutPoint(txid: txid, index: 0)), spender != record.refund.txid,
            let settlement = try? await chain.fetchTransaction(spender)
        else { return nil }
        let ourScript = Script.p2pkh(publicKey: record.clientPublicKey)
        let paidToUs =
            (try? Amount.sum(settlement.outputs.filter { $0.scriptPubKey == ourScript }.map(\.value))) ?? .zero
        guard paidToUs >= record.valueLeft else {
            publish(
                .failure("channel \(txid.displayHex) spent by \(spender.displayHex), which pays us only \(paidToUs)"))
            return nil
        }
        do { try await store.write([.client(.state(contractTxid: txid, .settled, settlement: settlement))]) } catch {
            publish(.failure("could not record the settlement of \(txid.displayHex): \(error)"))
        }
        publish(.settledOnChain(contractTxid: txid, spendingTxid: spender))
        return settlement
    }

    private func recordEnd(of record: ClientChannelRecord, spentBy spender: Hash256) async throws(StoreError) {
        let txid = record.contractTxid
        if spender == record.refund.txid {
            try await store.write([.client(.state(contractTxid: txid, .refunded, settlement: nil))])
            publish(.refunded(contractTxid: txid, refund: record.refund))
        } else {
            try await store.write([.client(.state(contractTxid: txid, .settled, settlement: nil))])
            publish(.settledOnChain(contractTxid: txid, spendingTxid: spender))
        }
    }

    private func retryRefund(_ txid: Hash256) {
        scheduler.withLock { $0 }?.schedule(txid, at: clock.now().plus(config.refundRetryInterval))
    }
}
