import BitcoinPrimitives
import ChannelStateMachine

/// What a client session's outbox releases, in order: its machine's effects, and payments
/// signed while their balances were written (``ClientManagerConfig/signsWhileWriting``).
enum ClientOutboxEffect: Sendable {
    case machine(ClientEffect)
    /// Send this payment's `UPDATE_PAYMENT` (its balance was persisted before it).
    case sendPayment(SigningPayment)
}

extension ClientSession {
    /// Performs an effect that needs no waiting and returns nil, or returns the work of one
    /// that does, to be run in a task.
    func performAtOnce(_ effect: ClientOutboxEffect) -> (@Sendable () async -> Void)? {
        switch effect {
        case .machine(let effect): return performAtOnce(effect)
        case .sendPayment(let signing): connection.send(signing.encodedMessage())
        }
        return nil
    }

    /// Performs a machine effect that needs no waiting and returns nil, or returns the work of
    /// one that does (funding, a broadcast), to be run in a task.
    private func performAtOnce(_ effect: ClientEffect) -> (@Sendable () async -> Void)? {
        switch effect {
        case .persist:
            break  // enqueued when queued
        case .send(let message):
            connection.send(message.encoded())
        case .fundContract(let output):
            return { [self] in await fund(output) }
        case .broadcast(let transaction, let purpose):
            return { [self] in _ = await manager.broadcast(transaction, purpose) }
        case .armTimer(let timer, let at):
            manager.arm(timer, at: at)
        case .cancelTimer(let timer):
            manager.cancel(timer)
        case .report(let event):
            return report(event)
        case .closeConnection:
            connection.close()
        }
        return nil
    }

    private func fund(_ output: TransactionOutput) async {
        let now = manager.clock.now()
        do throws(FundingError) {
            let contract = try await manager.funder.fundContract(paying: output)
            let stillWanted = state.withLock { state -> Bool in
                guard !state.ended else { return false }
                state.fundedContract = contract
                return true
            }
            guard stillWanted else {
                await manager.funder.contractAbandoned(contract)
                return
            }
            input { $0.contractFunded(contract, now: now) }
        } catch {
            input { $0.fundingFailed(error.message) }
        }
    }

    /// Acts on a machine event; the end of the conversation (``finish(_:)``, which waits for the
    /// connection to close) is returned as work for a task.
    private func report(_ event: ClientEvent) -> (@Sendable () async -> Void)? {
        manager.publish(.channel(event, session: id))
        switch event {
        case .channelOpened(let txid, let value, let valueLeft, let expiry, let resumed):
            manager.bind(txid, to: self)
            if resumed {
                // The server holds it open: a channel stored while opening is open from now on
                // (and so preferred for reopening).
                _ = manager.store.enqueue([.client(.state(contractTxid: txid, .open, settlement: nil))])
            }
            let waiter = state.withLock { state -> Waiter<OpenedChannel>? in
                state.contractTxid = txid
                state.opened = true
                state.initialAckPending = !resumed
                defer { state.openWaiter = nil }
                return state.openWaiter
            }
            waiter?.resume(
                returning: .success(
                    OpenedChannel(
                        contractTxid: txid, value: value, valueLeft: valueLeft, expiry: expiry, resumed: resumed)))
        case .paymentAcknowledged(let amount, let valueLeft, let info):
            let waiter = state.withLock { state -> Waiter<PaymentReceipt>? in
                if state.initialAckPending {
                    state.initialAckPending = false
                    return nil
                }
                return state.payWaiters.isEmpty ? nil : state.payWaiters.removeFirst()
            }
            waiter?.resume(returning: .success(PaymentReceipt(amount: amount, valueLeft: valueLeft, info: info)))
        case .paymentsFailed:
            // The machine reports this just before `.closed`: the pending `pay` calls fail in
            // `finish`, once our last message (an `ERROR TIMEOUT`, say) is written. Failing
            // them here would let a caller that exits on the failure lose that message.
            break
        case .settled(_, let settlement):
            state.withLock { $0.settlement = settlement }
        case .resumeRefused(let txid):
            manager.release(txid, from: self)
            // The server does not hold it open (it settled it while we were away, or never
            // stored it): never offer it again, so that the channels it holds open are resumed;
            // it stays armed for its refund. (Offered channels are far from their refund time,
            // so this never undoes a refund.)
            _ = manager.store.enqueue([.client(.state(contractTxid: txid, .refused, settlement: nil))])
        case .closed(let reason):
            return { [self] in await finish(reason) }
        }
        return nil
    }

    /// The conversation is over: a contract our wallet signed but never stored (so never handed
    /// over) is given back to the wallet and the connection is closed (what was queued written),
    /// then every waiter learns it (so a caller that exits when `open` or `pay` fails finds its
    /// wallet whole and the server has our ERROR).
    private func finish(_ reason: CloseReason) async {
        var abandoned: Transaction?
        let (txid, endWaiters, openWaiter, payWaiters, closeWaiter, settlement) = state.withLock { state in
            markEnded(reason, in: &state)
            if let contract = state.fundedContract, !state.contractStored { abandoned = contract }
            defer {
                state.endWaiters = []
                state.openWaiter = nil
                state.payWaiters = []
                state.closeWaiter = nil
            }
            return (
                state.contractTxid, state.endWaiters, state.openWaiter, state.payWaiters, state.closeWaiter,
                state.settlement
            )
        }
        if let abandoned { await manager.funder.contractAbandoned(abandoned) }
        // Our last message (an ERROR) is written before anyone hears that we are done.
        connection.close()
        await connection.waitUntilClosed()
        if let txid { manager.release(txid, from: self) }
        manager.sessionEnded(self)
        openWaiter?.resume(returning: .failure(.ended(reason)))
        for waiter in payWaiters { waiter.resume(returning: .failure(.ended(reason))) }
        closeWaiter?.resume(returning: .success(settlement))
        for waiter in endWaiters { waiter.resume() }
    }

    func markEnded(_ reason: CloseReason, in state: inout State) {
        state.ended = true
        state.endReason = state.endReason ?? reason
    }
}
