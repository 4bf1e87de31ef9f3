import BitcoinPrimitives

/// A payment that passed every check.
struct CheckedPayment {
    let change: Amount
    let valueToServer: Amount
}

extension ServerChannel {
    /// Checks an `UpdatePayment` against an open channel: change within the channel value,
    /// never going up, not dust unless zero, and a signature valid for the rebuilt payment.
    func checkPayment(_ payment: UpdatePayment, on channel: OpenServerChannel) throws(ChannelError) -> CheckedPayment {
        let record = channel.record
        let change: Amount
        do { change = try Amount(satoshis: payment.clientChangeValue) } catch {
            throw .badTransaction("client change \(payment.clientChangeValue) is not a valid amount")
        }
        guard change <= record.channelValue else {
            throw .badTransaction("Attempt to refund more than the contract allows.")
        }
        guard let valueToServer = try? record.channelValue.subtracting(change) else {
            throw .badTransaction("Attempt to refund more than the contract allows.")
        }
        guard valueToServer >= record.bestValueToServer else {
            throw .badTransaction("Attempt to roll back payment on the channel.")
        }
        if change != .zero, TransactionOutput(value: change, scriptPubKey: record.clientOutputScript).isDust() {
            throw .badTransaction("Attempt to refund negative value or value too small to be accepted by the network")
        }
        try channel.payment.verify(signature: payment.signature, change: change, clientKey: record.clientPublicKey)
        return CheckedPayment(change: change, valueToServer: valueToServer)
    }

    mutating func receivePayment(_ payment: UpdatePayment, now: UInt64) throws(ChannelError) -> [ServerEffect] {
        guard case .ready(var channel) = state else { throw .syntax("UPDATE_PAYMENT before the channel is open") }
        let checked = try checkPayment(payment, on: channel)
        let txid = channel.record.contractTxid
        let increase = (try? checked.valueToServer.subtracting(channel.record.bestValueToServer)) ?? .zero
        var effects: [ServerEffect] = []
        if increase > .zero {
            channel.record.bestValueToServer = checked.valueToServer
            channel.record.bestSignature = payment.signature
            effects.append(
                .persist(
                    .payment(
                        contractTxid: txid, bestValueToServer: checked.valueToServer,
                        signature: payment.signature)))
            effects.append(
                .report(
                    .paymentReceived(
                        contractTxid: txid, amount: increase, totalToServer: checked.valueToServer,
                        info: payment.info)))
        }
        let ackInfo = config.ackInfo == .echo && increase > .zero ? payment.info : nil
        effects.append(.send(.paymentAck(ackInfo.map { PaymentAck(info: $0) })))
        state = .ready(channel)
        if checked.change == .zero {
            effects += beginSettlement(reason: .channelExhausted, notifyClient: true)
        }
        return effects
    }
}
