import BitcoinPrimitives

extension ServerChannel {
    mutating func receiveClose(now: UInt64) throws(ChannelError) -> [ServerEffect] {
        switch state {
        case .ready:
            return beginSettlement(reason: .clientRequestedClose, notifyClient: true)
        case .settling:
            return []
        default:
            // Nothing to settle: end the conversation politely.
            state = .closed
            return [.send(.close(nil)), .report(.closed(.clientRequestedClose)), .closeConnection]
        }
    }

    /// Settles the open channel now (an operator's command or shutdown policy).
    public mutating func settle(now: UInt64, notifyClient: Bool = true) -> [ServerEffect] {
        beginSettlement(reason: .serverRequestedClose, notifyClient: notifyClient)
    }

    /// A timer this machine armed has fired.
    public mutating func timerFired(_ timer: ChannelTimer, now: UInt64) -> [ServerEffect] {
        guard case .settleBeforeExpiry(let txid) = timer, record?.contractTxid == txid else { return [] }
        return beginSettlement(reason: .expiry, notifyClient: true)
    }

    mutating func beginSettlement(reason: CloseReason, notifyClient: Bool) -> [ServerEffect] {
        guard case .ready(var channel) = state else { return [] }
        let record = channel.record
        let built: (transaction: Transaction, fee: Amount)
        do throws(ChannelError) {
            built = try channel.settlement.build(
                bestValueToServer: record.bestValueToServer, clientSignature: record.bestSignature,
                serverKey: channel.key, feePolicy: config.settlementFee)
        } catch {
            // The channel stays open and stored: the server may settle later (say at a lower fee
            // rate), or the client takes its refund at expiry.
            let report = ServerEffect.report(
                .settlementImpossible(
                    contractTxid: record.contractTxid,
                    reason: error.explanation))
            return [report] + (notifyClient ? fail(error) : [])
        }
        channel.record.state = .settling
        channel.record.settlement = built.transaction
        state = .settling(
            SettlingServerChannel(
                channel: channel, settlement: built.transaction, fee: built.fee,
                reason: reason, notifyClient: notifyClient))
        return [
            .cancelTimer(.settleBeforeExpiry(contractTxid: record.contractTxid)),
            .persist(.state(contractTxid: record.contractTxid, .settling, settlement: built.transaction)),
            .broadcast(built.transaction, .settlement),
        ]
    }

    mutating func settlementBroadcastCompleted(_ settling: SettlingServerChannel, succeeded: Bool) -> [ServerEffect] {
        let txid = settling.channel.record.contractTxid
        guard succeeded else {
            // Stay in `settling` in the store: the caller retries the broadcast (with a higher
            // fee rate if need be) from the stored settlement.
            return fail(ChannelError(.other, "the settlement could not be broadcast", origin: .local))
        }
        state = .closed
        var effects: [ServerEffect] = [
            .persist(.state(contractTxid: txid, .settled, settlement: settling.settlement)),
            .report(.settled(contractTxid: txid, settlement: settling.settlement, fee: settling.fee)),
        ]
        if connectionGone { return effects + [.report(.closed(.connectionClosed))] }
        if settling.notifyClient {
            effects.append(.send(.close(Settlement(tx: WireTransaction(settling.settlement)))))
        }
        effects += [.report(.closed(settling.reason)), .closeConnection]
        return effects
    }
}
