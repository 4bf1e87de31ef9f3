import BitcoinPrimitives
import ChannelStateMachine
import Metrics
import Synchronization

/// One connection to a server: open (or reopen) a channel, pay, close. Feed it what the server
/// sends with ``receive(_:)`` and tell it when the transport ends with ``connectionClosed()``.
///
/// ```swift
/// let session = manager.connect(serverID: "pay.example:4242", connection: connection)
/// let channel = try await session.open(value: Amount(exactly: 1_000_000)!)
/// let receipt = try await session.pay(Amount(exactly: 1000)!, info: Array("coffee".utf8))
/// let settlement = try await session.close()
/// ```
///
/// Payments may be pipelined: call ``pay(_:info:)`` from several tasks; each returns when the
/// server acknowledges it, and all fail at once if the server sends `ERROR`, the connection
/// drops or the session gives up (after its own `ERROR` was written and the transport closed:
/// see ``ChannelConnection/waitUntilClosed()``).
public final class ClientSession: Sendable {
    typealias Waiter<T> = CheckedContinuation<Result<T, ClientSessionError>, Never>

    struct State {
        var machine: ClientChannel?
        var outbox = EffectOutbox<ClientOutboxEffect>()
        var contractTxid: Hash256?
        var ended = false
        var endReason: CloseReason?
        var openWaiter: Waiter<OpenedChannel>?
        var payWaiters: [Waiter<PaymentReceipt>] = []
        var closeWaiter: Waiter<Transaction?>?
        /// A new channel's initial payment is acknowledged by `CHANNEL_OPEN`, before any `pay`.
        var initialAckPending = false
        var settlement: Transaction?
        /// The contract our wallet signed for this session, and whether it was stored (from
        /// then on it may be broadcast by the server and must not be abandoned).
        var fundedContract: Transaction?
        var contractStored = false
        var endWaiters: [CheckedContinuation<Void, Never>] = []
        /// Whether a channel was opened (or reopened) on this connection.
        var opened = false
    }

    /// A number identifying the session in events and logs.
    public let id: UInt64
    /// The server this session talks to.
    public let serverID: String
    let connection: any ChannelConnection
    let manager: ClientManager
    let state = Mutex(State())

    init(id: UInt64, serverID: String, connection: any ChannelConnection, manager: ClientManager) {
        self.id = id
        self.serverID = serverID
        self.connection = connection
        self.manager = manager
    }

    /// The channel's stored state as this session sees it, once funded or resumed.
    public var record: ClientChannelRecord? { state.withLock { $0.machine?.record } }

    /// Payments sent and not yet acknowledged.
    public var paymentsInFlight: Int { state.withLock { $0.machine?.paymentsInFlight ?? 0 } }

    /// Whether the conversation is over.
    public var isEnded: Bool { state.withLock { $0.ended } }

    /// Whether a channel was opened (or reopened) on this connection, whatever happened since.
    public var hasOpened: Bool { state.withLock { $0.opened } }

    /// Whether the session waits for the server to answer something it sent (see
    /// `ClientChannel.isAwaitingReply`).
    public var isAwaitingReply: Bool { state.withLock { $0.machine?.isAwaitingReply ?? false } }

    /// The server did not answer in time: the session sends `ERROR TIMEOUT` and ends; pending
    /// commands fail with ``ClientSessionError/ended(_:)`` carrying a local `TIMEOUT` error.
    public func replyTimedOut(after timeout: Duration) {
        input { $0.replyTimedOut("no reply from the server within \(timeout)") }
    }

    /// One framed message body from the server.
    public func receive(_ bytes: [UInt8]) {
        let now = manager.clock.now()
        input { $0.receive(bytes: bytes, now: now) }
    }

    /// The transport closed: payments in flight fail at once.
    public func connectionClosed() {
        input { $0.connectionClosed() }
    }

    /// Opens a channel worth `value`, or reopens this server's stored open channel with the
    /// most value left. Returns once the server sent `CHANNEL_OPEN`.
    public func open(value: Amount) async throws(ClientSessionError) -> OpenedChannel {
        let candidate = try await manager.reopenCandidate(serverID: serverID, for: self)
        let keyIndex: UInt32
        let key: PrivateKey
        do throws(ClientSessionError) {
            (keyIndex, key) = try await manager.channelKey(reusing: candidate)
        } catch {
            if let candidate { manager.release(candidate.contractTxid, from: self) }
            throw error
        }
        var config = manager.config.channel
        config.channelValue = value
        let machine = ClientChannel(
            config: config, serverID: serverID, key: key, keyIndex: keyIndex, resuming: candidate)
        let now = manager.clock.now()
        let result = await withCheckedContinuation { (waiter: Waiter<OpenedChannel>) in
            let refused = state.withLock { state -> ClientSessionError? in
                guard state.machine == nil else { return .alreadyOpened }
                guard !state.ended else { return .ended(state.endReason ?? .connectionClosed) }
                state.machine = machine
                state.openWaiter = waiter
                // Held by this session from now on: released when the conversation ends, even
                // if it ends before the server resumes the channel (so another session, at
                // another address, can offer it instead of funding a new one).
                if let candidate { state.contractTxid = candidate.contractTxid }
                return nil
            }
            if let refused {
                if let candidate { manager.release(candidate.contractTxid, from: self) }
                waiter.resume(returning: .failure(refused))
            } else {
                input { $0.start(now: now) }
            }
        }
        return try result.get()
    }

    /// Pays `amount` more, with optional `info` for the server; returns when acknowledged.
    /// The lower balance is durable before the payment is sent.
    @discardableResult
    public func pay(_ amount: Amount, info: [UInt8]? = nil) async throws(ClientSessionError) -> PaymentReceipt {
        // Only a payment made alone is signed on the signer's queue: with others under way
        // the cores have work enough, and handing signatures over would only add hops.
        let started = ContinuousClock.now
        let alone = manager.paymentsUnderWay.add(1, ordering: .relaxed).newValue == 1
        defer { manager.paymentsUnderWay.subtract(1, ordering: .relaxed) }
        let result = await withCheckedContinuation { (waiter: Waiter<PaymentReceipt>) in
            let outcome = state.withLock { state -> Result<SigningPayment?, ClientSessionError> in
                // Optional chaining mutates the machine in place: no copy of its state per payment.
                do throws(PaymentError) {
                    guard let payment = try state.machine?.beginPayment(amount, info: info) else {
                        return .failure(.payment(.channelNotOpen))
                    }
                    state.payWaiters.append(waiter)
                    queue([.persist(payment.balanceUpdate)], in: &state)
                    guard alone, manager.signer != nil else {
                        state.outbox.append(.machine(.send(payment.signedUpdate())))
                        return .success(nil)
                    }
                    let signing = SigningPayment(payment)
                    state.outbox.append(.sendPayment(signing))
                    return .success(signing)
                } catch {
                    return .failure(.payment(error))
                }
            }
            switch outcome {
            case .failure(let refused):
                waiter.resume(returning: .failure(refused))
            case .success(let signing):
                // Signed on the signer's queue while the balance is written (the commit runs
                // after this), and sent once it is durable.
                if let signing { manager.signer?.start(signing) }
                startDrainIfNeeded()
            }
        }
        let receipt = try result.get()
        manager.metrics.paymentDuration.record(duration: ContinuousClock.now - started)
        return receipt
    }

    /// Asks the server to settle the channel; returns the settlement it sent (checked to pay
    /// us at least what our last signature left us), or nil if the connection closed without
    /// one. Throws ``ClientSessionError/ended(_:)`` when the server answered `ERROR` or we
    /// refused its settlement (the channel stays stored, as before).
    @discardableResult
    public func close() async throws(ClientSessionError) -> Transaction? {
        let channel = record
        let result = await withCheckedContinuation { (waiter: Waiter<Transaction?>) in
            let endedWith = state.withLock { state -> Result<Transaction?, ClientSessionError>? in
                if state.ended { return .success(state.settlement) }
                guard state.machine != nil else { return .failure(.payment(.channelNotOpen)) }
                state.closeWaiter = waiter
                return nil
            }
            if let endedWith { waiter.resume(returning: endedWith) } else { input { $0.close() } }
        }
        if let settlement = try result.get() { return settlement }
        // A bitcoinj server may broadcast its settlement and close without sending it.
        if let channel, let latest = await manager.latestRecord(channel),
            let settlement = await manager.settlementFromChain(latest)
        {
            return settlement
        }
        // We refused the server's settlement (it underpaid us) or the server answered ERROR:
        // the channel was not settled.
        switch state.withLock({ $0.endReason }) {
        case .localError(let error): throw .ended(.localError(error))
        case .remoteError(let code, let explanation): throw .ended(.remoteError(code: code, explanation: explanation))
        default: return nil
        }
    }

    /// Returns once the conversation is over.
    public func waitUntilEnded() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let endedAlready = state.withLock { state -> Bool in
                if state.ended { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if endedAlready { continuation.resume() }
        }
    }

    func input(_ body: (inout ClientChannel) -> [ClientEffect]) {
        let endedWithoutChannel = state.withLock { state -> Bool in
            guard let effects = state.machine?.apply(body) else {
                // The transport ended (or sent something) before any channel was asked for.
                guard !state.ended else { return false }
                markEnded(.connectionClosed, in: &state)
                return true
            }
            queue(effects, in: &state)
            return false
        }
        if endedWithoutChannel {
            connection.close()
            manager.sessionEnded(self)
        }
        startDrainIfNeeded()
    }

    private func queue(_ effects: [ClientEffect], in state: inout State) {
        for effect in effects {
            if case .persist(let update) = effect {
                if case .channel(let record) = update {
                    if record.contractTxid == state.fundedContract?.txid { state.contractStored = true }
                    // Held from the moment it is stored, so that no other session offers it.
                    state.contractTxid = record.contractTxid
                    manager.bind(record.contractTxid, to: self)
                }
                state.outbox.lastTicket = manager.store.enqueue([.client(update)])
            } else {
                state.outbox.append(.machine(effect))
            }
        }
    }

    private func startDrainIfNeeded() {
        if state.withLock({ $0.outbox.claimDrain() }) { drain() }
    }

    var effectStore: any ChannelStore { manager.store }

    func nextEffectStep() -> EffectOutbox<ClientOutboxEffect>.Step {
        state.withLock { $0.outbox.step() }
    }

    /// A write the next effects wait for is durable, or failed: then they are dropped and the
    /// machine's failure effects queued instead. A machine that had already ended the
    /// conversation has none, and its closing effects were among those dropped: the session
    /// then ends the conversation itself, so that no caller waits for good.
    func durabilityKnown(_ ticket: StoreTicket, _ outcome: Result<Void, StoreError>) {
        switch outcome {
        case .success:
            state.withLock { $0.outbox.markDurable(ticket) }
        case .failure(let error):
            manager.logger.error("session \(id): store failed: \(error)")
            state.withLock { state in
                state.outbox.discardAll()
                var effects = state.machine?.storeFailed(error.message) ?? []
                if effects.isEmpty, !state.ended {
                    let failure = ChannelError(.other, "storage failure: \(error.message)", origin: .local)
                    effects = [.report(.closed(.localError(failure))), .closeConnection]
                }
                queue(effects, in: &state)
            }
        }
    }
}

extension ClientChannel {
    /// Runs `body` on this machine; with optional chaining (`machine?.apply`) the machine is
    /// changed in place rather than copied out and back.
    fileprivate mutating func apply(_ body: (inout ClientChannel) -> [ClientEffect]) -> [ClientEffect] {
        body(&self)
    }
}

extension ClientSession: EffectDraining {}
