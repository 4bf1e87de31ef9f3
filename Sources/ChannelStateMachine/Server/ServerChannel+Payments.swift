import BitcoinPrimitives

/// A payment that passed every check.
struct CheckedPayment {
    let change: Amount
    let valueToServer: Amount
}

extension ServerChannel {
    /// Checks an `UpdatePayment` against an open channel, in bitcoinj's order: the signature
    /// decodes (strict DER, a defined sighash byte; low S, where Paychan is stricter than
    /// bitcoinj), then the change is within the channel value, never going up, not dust unless
    /// zero, and the signature is valid for the rebuilt payment.
    ///
    /// A signature that does not decode is `SYNTAX_ERROR` in `UPDATE_PAYMENT` and
    /// `BAD_TRANSACTION` as `PROVIDE_CONTRACT`'s initial payment, as bitcoinj's server answers.
    func checkPayment(_ payment: UpdatePayment, on channel: OpenServerChannel, initial: Bool = false)
        throws(ChannelError) -> CheckedPayment
    {
        let signature: TransactionSignature
        do { signature = try TransactionSignature(encoded: payment.signature) } catch {
            let code: ErrorCode = initial || error == .highS ? .badTransaction : .syntaxError
            throw ChannelError(code, "payment signature refused: \(error)")
        }
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
        try channel.payment.verify(signature, change: change, clientKey: record.clientPublicKey)
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
