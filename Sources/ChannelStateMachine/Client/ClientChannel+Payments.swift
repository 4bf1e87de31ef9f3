import BitcoinPrimitives

extension ClientChannel {
    /// Pays `amount` more to the server. When the change left would be dust, everything left is
    /// paid instead (the returned effects carry the signature for that). The lower balance is
    /// persisted before `UPDATE_PAYMENT` is sent; payments may be pipelined, and each
    /// `PAYMENT_ACK` acknowledges the oldest one in flight.
    ///
    /// The same as ``beginPayment(_:info:)`` followed at once by
    /// ``PendingPayment/signedUpdate()``.
    public mutating func pay(_ amount: Amount, info: [UInt8]? = nil) throws(PaymentError) -> [ClientEffect] {
        let payment = try beginPayment(amount, info: info)
        return [.persist(payment.balanceUpdate), .send(payment.signedUpdate())]
    }

    /// Pays `amount` more to the server, like ``pay(_:info:)``, but leaves the signature to the
    /// caller: the machine accounts for the payment now (the next payment, and the next
    /// `PAYMENT_ACK`, come after it), and the caller persists
    /// ``PendingPayment/balanceUpdate`` and sends ``PendingPayment/signedUpdate()`` once that
    /// write is durable.
    ///
    /// A caller with a second core can so make the signature while the lower balance is being
    /// written. The pending payment is a value: signing it needs nothing from the machine.
    public mutating func beginPayment(_ amount: Amount, info: [UInt8]? = nil) throws(PaymentError) -> PendingPayment {
        guard case .ready(var channel) = state else { throw .channelNotOpen }
        guard amount > .zero else { throw .zeroAmount }
        let valueLeft = channel.record.valueLeft
        guard amount <= valueLeft else { throw .insufficientValue(available: valueLeft) }
        // `state` lets go of the channel while it changes: its in-flight list is then changed in
        // place rather than copied.
        state = .idle
        let change = changeAfterPaying(amount, from: valueLeft, changeScript: channel.payment.clientOutputScript)
        let paid = (try? valueLeft.subtracting(change)) ?? amount
        channel.record.valueLeft = change
        channel.inFlight.append((paid, change))
        state = .ready(channel)
        return PendingPayment(
            contractTxid: channel.record.contractTxid, change: change, info: info, transaction: channel.payment,
            key: key)
    }

    mutating func receivePaymentAck(_ ack: PaymentAck?) throws(ChannelError) -> [ClientEffect] {
        // Acks for payments sent before our CLOSE still arrive, ahead of the server's CLOSE.
        var channel: OpenClientChannel
        switch state {
        case .ready(let c), .closing(let c): channel = c
        default: throw .syntax("PAYMENT_ACK without a payment in flight")
        }
        guard !channel.inFlight.isEmpty else { throw .syntax("PAYMENT_ACK without a payment in flight") }
        let closing = if case .closing = state { true } else { false }
        state = .idle  // lets go of the channel, so that its in-flight list changes in place
        let acknowledged = channel.inFlight.removeFirst()
        state = closing ? .closing(channel) : .ready(channel)
        return [
            .report(
                .paymentAcknowledged(amount: acknowledged.amount, valueLeft: acknowledged.valueLeft, info: ack?.info))
        ]
    }

    /// Asks the server to settle the channel. The server answers `CLOSE` with the settlement.
    public mutating func close() -> [ClientEffect] {
        guard case .ready(let channel) = state else { return finish(.clientRequestedClose, sending: .close(nil)) }
        state = .closing(channel)
        return [.send(.close(nil))]
    }

    mutating func receiveClose(_ settlement: Settlement?) -> [ClientEffect] {
        let reason: CloseReason
        switch state {
        case .closing: reason = .clientRequestedClose
        default: reason = .serverRequestedClose
        }
        guard let settlement, let channel = openChannel else { return finish(reason, sending: nil) }
        let tx = settlement.tx.transaction
        let record = channel.record
        do throws(ChannelError) {
            try checkSettlement(tx, record: record, clientOutputScript: channel.payment.clientOutputScript)
        } catch {
            return fail(error)
        }
        var effects: [ClientEffect] = [
            .cancelTimer(.refundAfterExpiry(contractTxid: record.contractTxid)),
            .persist(.state(contractTxid: record.contractTxid, .settled, settlement: tx)),
            .report(.settled(contractTxid: record.contractTxid, settlement: tx)),
        ]
        effects += finish(reason, sending: nil)
        return effects
    }

    private var openChannel: OpenClientChannel? {
        switch state {
        case .ready(let c), .closing(let c), .awaitingChannelOpen(let c): return c
        default: return nil
        }
    }

    /// A settlement is acceptable when it spends the contract's output 0 and pays the client's
    /// script at least the change of the client's latest signature.
    func checkSettlement(_ tx: Transaction, record: ClientChannelRecord, clientOutputScript: Script)
        throws(ChannelError)
    {
        let contractOutpoint = OutPoint(txid: record.contractTxid, index: 0)
        guard tx.inputs.contains(where: { $0.previousOutput == contractOutpoint }) else {
            throw .badTransaction("settlement does not spend the channel contract")
        }
        guard record.valueLeft > .zero else { return }
        guard let paidToUs = try? Amount.sum(tx.outputs.filter { $0.scriptPubKey == clientOutputScript }.map(\.value))
        else { throw .badTransaction("settlement outputs exceed 21e6 BTC") }
        guard paidToUs >= record.valueLeft else {
            throw .badTransaction("settlement pays us \(paidToUs) sat, less than our \(record.valueLeft)")
        }
    }

    /// A timer this machine armed has fired: after expiry, broadcast the contract and refund.
    public mutating func timerFired(_ timer: ChannelTimer, now: UInt64) -> [ClientEffect] {
        guard case .refundAfterExpiry(let txid) = timer, let channel = openChannel, channel.record.contractTxid == txid
        else { return [] }
        return [.broadcast(channel.record.contract, .contract), .broadcast(channel.record.refund, .refund)]
    }
}
