import BitcoinPrimitives
import ChannelStateMachine
import Metrics
import Synchronization

/// One conversation with a client (or, without a connection, the manager's own work on a
/// stored channel: settling it at expiry or by command). Feed it what the client sends with
/// ``receive(_:)`` and tell it when the transport ends with ``connectionClosed()``; it answers
/// through the connection it was given.
///
/// Inputs are processed at once, on the caller's thread; their effects are released in order,
/// each only once the writes before it are durable: on the caller's thread when they need no
/// wait, else on the store's committing thread right after the commit (`EffectOutbox`).
public final class ServerSession: Sendable {
    struct State {
        var machine: ServerChannel
        var outbox = EffectOutbox<ServerEffect>()
        /// The channel this session holds, once one is open or resumed.
        var contractTxid: Hash256?
        /// This node's claim on that channel, which fences its writes (see ``ChannelClaims``).
        var claim: ChannelClaim?
        /// A token reserved for the claim of a channel this session may open.
        var reservedToken: UInt64?
        var ended = false
        /// When each payment not yet acknowledged arrived, oldest first (for the latency metric).
        var paymentArrivals: [ContinuousClock.Instant] = []
        /// Whether this session counts in the open channels metric.
        var countedOpen = false
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// A number identifying the session in events and logs.
    public let id: UInt64
    let connection: (any ChannelConnection)?
    let manager: ServerManager
    let state: Mutex<State>

    init(
        id: UInt64, machine: ServerChannel, connection: (any ChannelConnection)?, manager: ServerManager,
        claim: ChannelClaim? = nil, reservedToken: UInt64? = nil
    ) {
        self.id = id
        self.connection = connection
        self.manager = manager
        self.state = Mutex(
            State(
                machine: machine, contractTxid: machine.record?.contractTxid, claim: claim,
                reservedToken: reservedToken))
    }

    /// Whether this session works on a stored channel without a connection.
    var isOffline: Bool { connection == nil }

    /// The channel this session holds, if any.
    public var contractTxid: Hash256? { state.withLock { $0.contractTxid } }

    /// Whether the conversation is over.
    public var isEnded: Bool { state.withLock { $0.ended } }

    /// Whether effects of inputs already received are still to be released (an acknowledgment
    /// waiting for its payment's write to be durable, for example). A transport that stops
    /// reading waits for this to turn false before it closes, so that every payment it read is
    /// acknowledged.
    public var hasEffectsWaiting: Bool { state.withLock { !$0.outbox.isEmpty || $0.outbox.draining } }

    /// One framed message body from the client.
    public func receive(_ bytes: [UInt8]) {
        let now = manager.clock.now()
        input(arrivedAt: .now) { $0.receive(bytes: bytes, now: now) }
    }

    /// The transport closed. An open channel stays stored and can be resumed.
    public func connectionClosed() {
        input { $0.connectionClosed() }
    }

    /// Settles this session's channel now, telling the client. Returns false when this session
    /// holds no open channel to settle (for example because its connection just closed).
    @discardableResult
    public func settle() -> Bool {
        let now = manager.clock.now()
        input { $0.settle(now: now, notifyClient: !isOffline) }
        return state.withLock { $0.machine.record?.state == .settling }
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

    /// Offline work: settle the restored channel; if it cannot be settled, end at once.
    func runOfflineSettlement() {
        let now = manager.clock.now()
        input { $0.settle(now: now, notifyClient: false) }
        let stuck = state.withLock { !$0.machine.isClosed && $0.machine.record?.state != .settling }
        if stuck { input { $0.connectionClosed() } }
    }

    /// Delivers an expiry timer; false when this session holds no open channel to settle.
    func timerFired(_ timer: ChannelTimer) -> Bool {
        let now = manager.clock.now()
        input { $0.timerFired(timer, now: now) }
        return state.withLock { $0.machine.record?.state == .settling }
    }

    /// Another connection took the channel over: end this one without settling.
    func replaced() {
        input { $0.connectionClosed() }
    }

    /// Runs one machine input and queues its effects; releases them at once if nobody is.
    /// `arrivedAt`: when the message the input carries arrived, kept for each payment it makes.
    func input(arrivedAt: ContinuousClock.Instant? = nil, _ body: (inout ServerChannel) -> [ServerEffect]) {
        let startDrain = state.withLock { state -> Bool in
            let effects = body(&state.machine)
            if let arrivedAt {
                for case .report(.paymentReceived) in effects { state.paymentArrivals.append(arrivedAt) }
            }
            queue(effects, in: &state)
            return state.outbox.claimDrain()
        }
        if startDrain { drain() }
    }

    private func queue(_ effects: [ServerEffect], in state: inout State) {
        for effect in effects {
            if case .persist(let update) = effect {
                state.outbox.lastTicket = manager.store.enqueue(fenced(update, in: &state))
            } else {
                state.outbox.append(effect)
            }
        }
    }

    /// The writes of one update: with shared claims, behind this session's claim on the channel
    /// (a channel being opened is claimed by its first write, with the reserved token). A write
    /// with no claim to carry goes behind a claim no store grants, so it is refused, not made.
    private func fenced(_ update: ServerStoreUpdate, in state: inout State) -> [StoreWrite] {
        let claims = manager.claims
        guard claims.fencesWrites else { return [.server(update)] }
        if let claim = state.claim { return [.claimHeld(claim), .server(update)] }
        if case .channel(let record) = update, let token = state.reservedToken {
            let claim = ChannelClaim(contractTxid: record.contractTxid, nodeID: claims.nodeID, token: token)
            state.claim = claim
            state.reservedToken = nil
            return [.claimOpened(claim, leaseSeconds: claims.leaseSeconds), .server(update)]
        }
        let none = ChannelClaim(contractTxid: update.contractTxid, nodeID: claims.nodeID, token: 0)
        return [.claimHeld(none), .server(update)]
    }

    /// This node lost its claim on the session's channel: end the conversation without
    /// settling (its writes would be refused anyway), so that the client goes to another node.
    func claimLost() {
        guard !isOffline else { return }
        manager.logger.warning("session \(id): claim lost, closing the connection")
        connection?.close()
        input { $0.connectionClosed() }
    }

    /// Adopts the claim taken for the channel this session resumes.
    func adopt(_ claim: ChannelClaim) {
        state.withLock { $0.claim = claim }
    }

    var effectStore: any ChannelStore { manager.store }

    func nextEffectStep() -> EffectOutbox<ServerEffect>.Step {
        state.withLock { $0.outbox.step() }
    }

    /// A write the next effects wait for is durable, or failed: then they are dropped and the
    /// machine's failure effects queued instead.
    func durabilityKnown(_ ticket: StoreTicket, _ outcome: Result<Void, StoreError>) {
        switch outcome {
        case .success:
            state.withLock { $0.outbox.markDurable(ticket) }
        case .failure(let error):
            manager.logger.error("session \(id): store failed: \(error)")
            state.withLock { state in
                state.outbox.discardAll()
                var effects = state.machine.storeFailed(error.message)
                if effects.isEmpty, !state.ended {
                    // The machine had already ended the conversation, and its closing effects
                    // were dropped with the failed write: end it here, or the session never ends.
                    let failure = ChannelError(.other, "storage failure: \(error.message)", origin: .local)
                    effects = [.report(.closed(.localError(failure))), .closeConnection]
                }
                queue(effects, in: &state)
            }
        }
    }

    /// Performs an effect that needs no waiting and returns nil, or returns the work of one
    /// that does (a store read, a broadcast), to be run in a task.
    func performAtOnce(_ effect: ServerEffect) -> (@Sendable () async -> Void)? {
        switch effect {
        case .persist:
            break  // handled when queued
        case .send(let message):
            connection?.send(message.encoded())
        case .report(let event):
            report(event)
        case .lookUpStoredChannel(let txid):
            return { [self] in
                let found = await manager.claimForResume(txid, by: self)
                let now = manager.clock.now()
                switch found {
                case .found(let record, let key):
                    input { $0.storedChannelFound(record, key: key, now: now) }
                case .missing:
                    input { $0.storedChannelMissing(now: now) }
                case .unavailable(let explanation):
                    input { $0.storedChannelUnavailable(explanation, now: now) }
                }
            }
        case .broadcast(let transaction, let purpose):
            return { [self] in
                let accepted = await manager.broadcast(transaction, purpose)
                let now = manager.clock.now()
                input { $0.broadcastCompleted(purpose, succeeded: accepted, now: now) }
            }
        case .armTimer(let timer, let at):
            manager.arm(timer, at: at)
        case .cancelTimer(let timer):
            manager.cancel(timer)
        case .closeConnection:
            connection?.close()
        }
        return nil
    }

    private func report(_ event: ServerEvent) {
        switch event {
        case .channelOpened(let txid, _, _, _, _):
            let (claim, countNow) = state.withLock { state in
                state.contractTxid = txid
                defer { state.countedOpen = true }
                return (state.claim, !state.countedOpen)
            }
            if countNow { manager.metrics.channelsOpen.increment() }
            manager.bind(txid, to: self, claim: claim)
        case .paymentReceived:
            let arrival = state.withLock { $0.paymentArrivals.isEmpty ? nil : $0.paymentArrivals.removeFirst() }
            if let arrival { manager.metrics.paymentDuration.record(duration: ContinuousClock.now - arrival) }
        default:
            break
        }
        manager.publish(.channel(event, session: isOffline ? nil : id))
        if case .closed(let reason) = event {
            let (txid, claim, waiters, wasOpen) = state.withLock { state in
                state.ended = true
                defer {
                    state.endWaiters = []
                    state.countedOpen = false
                }
                return (state.contractTxid, state.claim, state.endWaiters, state.countedOpen)
            }
            if wasOpen {
                manager.metrics.channelsOpen.decrement()
            } else if case .localError = reason, !isOffline {
                manager.metrics.channelsRefused.increment()
            }
            manager.sessionEnded(self, holding: txid, claim: claim)
            for waiter in waiters { waiter.resume() }
        }
    }
}

extension ServerSession: EffectDraining {}
