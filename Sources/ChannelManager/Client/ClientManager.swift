import BitcoinPrimitives
import ChannelStateMachine
import Logging
import Metrics
import Synchronization

/// Runs the client side of channels over connections the caller provides: funds contracts
/// from a wallet, stores every channel durably (the lower balance before each payment is
/// sent), reopens stored channels, and refunds channels whose server never settled once their
/// lock time has passed (also after restarts).
public final class ClientManager: Sendable {
    struct Registry {
        var nextSessionID: UInt64 = 0
        var sessions: [UInt64: ClientSession] = [:]
        /// Which session holds each channel in use (so two sessions never resume the same one).
        var holders: [Hash256: ClientSession] = [:]
        var shutDown = false
    }

    /// How this manager opens and looks after its channels.
    public let config: ClientManagerConfig
    let store: any ChannelStore
    let chain: any ChainBackend
    let funder: any ContractFunder
    let keychain: ChannelKeychain
    let clock: any ManagerClock
    let logger: Logger
    let registry = Mutex(Registry())
    let hub: EventHub<ClientManagerEvent>
    let metrics = ClientMetrics()
    let scheduler = Mutex<DeadlineScheduler<Hash256>?>(nil)
    /// Signs payments while their balances are written; nil unless `config.signsWhileWriting`.
    let signer: PaymentSigner?
    /// ``ClientSession/pay(_:info:)`` calls under way, over every session.
    let paymentsUnderWay = Atomic<Int>(0)

    /// A manager; nothing runs until ``start()``.
    ///
    /// - Parameters:
    ///   - config: the terms asked for new channels, reopening, refunds and signing.
    ///   - store: where every channel is stored, each write durable before what depends on it.
    ///   - chain: broadcasts contracts and refunds, and tells what spent a contract.
    ///   - funder: signs the contract of each new channel (segwit inputs only).
    ///   - keychain: derives each channel's key from the seed (no private key is stored).
    ///   - clock: the time the machines and the refund timers use.
    ///   - logger: where sessions, refunds and failures are logged.
    public init(
        config: ClientManagerConfig, store: any ChannelStore, chain: any ChainBackend, funder: any ContractFunder,
        keychain: ChannelKeychain, clock: any ManagerClock = SystemClock(),
        logger: Logger = Logger(label: "paychan.client")
    ) {
        self.config = config
        self.store = store
        self.chain = chain
        self.funder = funder
        self.keychain = keychain
        self.clock = clock
        self.logger = logger
        self.hub = EventHub(handler: config.eventHandler)
        self.signer = config.signsWhileWriting ? PaymentSigner() : nil
    }

    /// Arms the refund deadline of every stored channel the server has not settled, so a
    /// channel is refunded after its lock time even across restarts, and lets the funder take
    /// back what it reserved for contracts never stored (the process stopped between funding
    /// a contract and storing its channel). Call it before connecting any session.
    public func start() async throws(ClientSessionError) {
        let scheduler = DeadlineScheduler<Hash256>(clock: clock) { [weak self] txid in
            await self?.refundIfUnsettled(txid)
        }
        self.scheduler.withLock { $0 = scheduler }
        let all: [ClientChannelRecord]
        do { all = try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases)) } catch {
            throw .store(error)
        }
        await funder.releaseContracts(notAmong: Set(all.map(\.contractTxid)))
        let records = all.filter { $0.state == .opening || $0.state == .open || $0.state == .refused }
        for record in records { scheduler.schedule(record.contractTxid, at: refundTime(record.expiry)) }
        logger.info("client manager started: \(records.count) unsettled channels armed for refund")
    }

    /// A session over a new connection to `serverID` (any stable name for the server, such as
    /// its host and port: stored channels are reopened by it).
    public func connect(serverID: String, connection: any ChannelConnection) throws(ClientSessionError)
        -> ClientSession
    {
        try registry.withLock { registry throws(ClientSessionError) -> ClientSession in
            guard !registry.shutDown else { throw .shutDown }
            registry.nextSessionID += 1
            let session = ClientSession(
                id: registry.nextSessionID, serverID: serverID, connection: connection, manager: self)
            registry.sessions[session.id] = session
            return session
        }
    }

    /// Every event from now on, as an async sequence (the oldest unread are dropped past `buffer`).
    public func events(buffer: Int = 65_536) -> AsyncStream<ClientManagerEvent> { hub.subscribe(buffer: buffer) }

    /// Stored channels, optionally with one server only.
    public func channels(
        serverID: String? = nil, in states: Set<ClientChannelRecord.State> = Set(ClientChannelRecord.State.allCases)
    ) async throws(ClientSessionError) -> [ClientChannelRecord] {
        do { return try await store.clientChannels(serverID: serverID, in: states) } catch { throw .store(error) }
    }

    /// Ends every conversation (payments in flight fail; channels stay stored and can be
    /// reopened), stops the timers, and waits until everything written is durable.
    public func shutdown() async {
        let sessions = registry.withLock { registry -> [ClientSession] in
            registry.shutDown = true
            return Array(registry.sessions.values)
        }
        scheduler.withLock { $0 }?.stop()
        for session in sessions { session.connectionClosed() }
        for session in sessions { await session.waitUntilEnded() }
        try? await store.waitUntilDurable(store.enqueue([]))
        hub.finish()
    }

    // MARK: Called by sessions

    /// The stored channel with this server to offer for reopening, claimed for `session`.
    func reopenCandidate(serverID: String, for session: ClientSession) async throws(ClientSessionError)
        -> ClientChannelRecord?
    {
        let stored: [ClientChannelRecord]
        do { stored = try await store.clientChannels(serverID: serverID, in: [.open, .opening]) } catch {
            throw .store(error)
        }
        let now = clock.now()
        // Channels the server confirmed open come first: one stored while opening may never
        // have reached the server (the process died as it was handed over), and offering it
        // ahead of them would fund a new channel each time, never resuming theirs.
        let usable =
            stored
            .filter {
                $0.valueLeft >= max(config.reopenMinimumValue, $0.minPayment)
                    && $0.expiry > now.plus(config.reopenMinimumLifetime)
            }
            .sorted { $0.state == $1.state ? $0.valueLeft > $1.valueLeft : $0.state == .open }
        return registry.withLock { registry -> ClientChannelRecord? in
            guard var record = usable.first(where: { registry.holders[$0.contractTxid] == nil }) else { return nil }
            registry.holders[record.contractTxid] = session
            // A channel stored while opening may be open on the server (it stored the contract
            // and broadcast it before we heard back). Offering it is safe: the server resumes it
            // only if it holds it open.
            record.state = .open
            return record
        }
    }

    /// The key for a session: the stored channel's when reopening, else a newly reserved one.
    func channelKey(reusing record: ClientChannelRecord?) async throws(ClientSessionError) -> (UInt32, PrivateKey) {
        if let record {
            do { return (record.clientKeyIndex, try keychain.key(.clientChannel, index: record.clientKeyIndex)) } catch
            {
                throw .keys(error)
            }
        }
        while true {
            let index: UInt32
            do { index = try await store.reserveKeyIndex(.clientChannel) } catch { throw .store(error) }
            if let key = try? keychain.key(.clientChannel, index: index) { return (index, key) }
        }
    }

    func bind(_ txid: Hash256, to session: ClientSession) {
        registry.withLock { $0.holders[txid] = session }
    }

    func release(_ txid: Hash256, from session: ClientSession) {
        registry.withLock { if $0.holders[txid] === session { $0.holders[txid] = nil } }
    }

    func sessionEnded(_ session: ClientSession) {
        _ = registry.withLock { $0.sessions.removeValue(forKey: session.id) }
    }

    func arm(_ timer: ChannelTimer, at time: UInt64) {
        guard case .refundAfterExpiry(let txid) = timer else { return }
        scheduler.withLock { $0 }?.schedule(txid, at: time)
    }

    func cancel(_ timer: ChannelTimer) {
        guard case .refundAfterExpiry(let txid) = timer else { return }
        scheduler.withLock { $0 }?.cancel(txid)
    }

    func publish(_ event: ClientManagerEvent) {
        metrics.record(event)
        log(event)
        hub.publish(event)
    }

    func broadcast(_ transaction: Transaction, _ purpose: BroadcastPurpose) async -> Bool {
        let accepted = await chain.broadcastLoggingRefusal(transaction, purpose, logger: logger)
        publish(.broadcast(transaction, purpose, accepted: accepted))
        return accepted
    }

    func refundTime(_ expiry: UInt64) -> UInt64 {
        expiry.plus(config.channel.refundMargin)
    }
}
