import BitcoinPrimitives
import ChannelStateMachine
import Logging
import Metrics
import Synchronization

/// Runs the server side of any number of channels over connections the caller provides:
/// stores every channel durably (persisting before it acknowledges), derives channel keys from
/// the seed, settles channels before they expire (also after restarts), resumes channels when
/// clients reconnect, and broadcasts through a chain backend.
///
/// ```swift
/// let manager = try ServerManager(config: config, store: store, chain: chain, keychain: keychain)
/// try await manager.start()
/// let session = try await manager.accept(connection)   // for each new connection
/// session.receive(body)                                 // for each framed message
/// ```
public final class ServerManager: Sendable {
    struct Registry {
        var nextSessionID: UInt64 = 0
        /// Live sessions, by id.
        var sessions: [UInt64: ServerSession] = [:]
        /// Which session holds each channel in use.
        var holders: [Hash256: ServerSession] = [:]
        /// This node's claims on the channels its sessions hold, renewed by the heartbeat.
        var claims: [Hash256: ChannelClaim] = [:]
        /// Channels being claimed for work without a connection (a settlement, an opening to
        /// finish): a resume meanwhile is refused, as when such work holds the channel.
        var claimingOffline: Set<Hash256> = []
        /// Settlements broadcast and not yet seen confirmed, by contract txid.
        var unconfirmed: [Hash256: SettlementWatch] = [:]
        var shutDown = false
    }

    struct SettlementWatch {
        var settlement: Transaction
        var broadcastAt: UInt64
    }

    enum Deadline: Hashable, Sendable {
        case settle(Hash256)
        case chainCheck
        /// Renew this node's claims (only with claims shared by several nodes).
        case heartbeat
        /// Read the store again for channels of other nodes (only with shared claims).
        case rescan
    }

    /// How this manager runs its channels.
    public let config: ServerManagerConfig
    let store: any ChannelStore
    let chain: any ChainBackend
    let keychain: ChannelKeychain
    /// How this node claims channels (``SingleNodeClaims`` unless several nodes share the store).
    let claims: any ChannelClaims
    let clock: any ManagerClock
    let logger: Logger
    let registry = Mutex(Registry())
    let hub: EventHub<ServerManagerEvent>
    let metrics = ServerMetrics()
    private let scheduler = Mutex<DeadlineScheduler<Deadline>?>(nil)

    /// A manager; nothing runs until ``start()``.
    ///
    /// - Parameters:
    ///   - config: the terms offered to clients, and how expiry, fee bumps and clusters run.
    ///   - store: where every channel is stored, each write durable before what depends on it.
    ///   - chain: broadcasts contracts and settlements, and tells their status and fee rates.
    ///   - keychain: derives each channel's key from the seed (no private key is stored).
    ///   - claims: how this node claims the channels it serves. The default,
    ///     ``SingleNodeClaims``, is for a store this manager alone writes; managers on several
    ///     nodes sharing one store each pass that store's claims (see ``ChannelClaims``).
    ///   - clock: the time the machines and the expiry timers use.
    ///   - logger: where sessions, settlements and failures are logged.
    public init(
        config: ServerManagerConfig, store: any ChannelStore, chain: any ChainBackend, keychain: ChannelKeychain,
        claims: any ChannelClaims = SingleNodeClaims(),
        clock: any ManagerClock = SystemClock(), logger: Logger = Logger(label: "paychan.server")
    ) throws(ServerManagerError) {
        do { try config.channel.validate() } catch { throw .invalidConfig(error) }
        self.config = config
        self.store = store
        self.chain = chain
        self.keychain = keychain
        self.claims = claims
        self.clock = clock
        self.logger = logger
        self.hub = EventHub(handler: config.eventHandler)
    }

    /// Rebuilds work from the store: arms the settlement timer of every open channel (a channel
    /// already inside its margin settles at once), finishes contracts whose broadcast was
    /// interrupted, and watches the settlements of channels whose expiry is not older than
    /// ``ServerManagerConfig/settledWatchAfterExpiry`` until they confirm.
    public func start() async throws(ServerManagerError) {
        let scheduler = DeadlineScheduler<Deadline>(clock: clock) { [weak self] deadline in
            await self?.deadlinePassed(deadline)
        }
        self.scheduler.withLock { $0 = scheduler }
        let now = clock.now()
        let watchFrom = now > config.settledWatchAfterExpiry ? now - config.settledWatchAfterExpiry : 0
        let records: [ServerChannelRecord]
        do {
            records =
                try await store.serverChannels(in: [.opening, .open, .settling])
                + store.serverChannels(in: [.settled], expiringAfter: watchFrom)
        } catch {
            throw .store(error)
        }
        var armed = 0
        for record in records {
            switch record.state {
            case .opening:
                await finishInterruptedOpening(record)
            case .open:
                arm(.settleBeforeExpiry(contractTxid: record.contractTxid), at: settleTime(record.expiry))
                armed += 1
            case .settling, .settled:
                if let settlement = record.settlement {
                    registry.withLock {
                        $0.unconfirmed[record.contractTxid] = SettlementWatch(settlement: settlement, broadcastAt: now)
                    }
                }
                if record.state == .settling {
                    scheduler.schedule(.settle(record.contractTxid), at: now)
                }
            case .failed:
                break
            }
        }
        scheduler.schedule(.chainCheck, at: now.plus(config.chainCheckInterval))
        if claims.fencesWrites {
            scheduler.schedule(.heartbeat, at: now.plus(heartbeatInterval))
            scheduler.schedule(.rescan, at: now.plus(config.clusterRescanInterval))
        }
        logger.info("server manager started: \(armed) open channels armed for expiry")
    }

    /// Begins a conversation on a new connection.
    public func accept(_ connection: any ChannelConnection) async throws(ServerManagerError) -> ServerSession {
        let (index, key) = try await newChannelKey()
        var token: UInt64?
        if claims.fencesWrites {
            do { token = try await claims.reserveToken() } catch { throw .claim(error) }
        }
        let machine = ServerChannel(config: config.channel, newChannelKey: key, newChannelKeyIndex: index)
        return try registry.withLock { registry throws(ServerManagerError) -> ServerSession in
            guard !registry.shutDown else { throw .shutDown }
            registry.nextSessionID += 1
            let session = ServerSession(
                id: registry.nextSessionID, machine: machine, connection: connection, manager: self,
                reservedToken: token)
            registry.sessions[session.id] = session
            return session
        }
    }

    /// Every event from now on, as an async sequence (the oldest unread are dropped past `buffer`).
    public func events(buffer: Int = 65_536) -> AsyncStream<ServerManagerEvent> { hub.subscribe(buffer: buffer) }

    /// Conversations in progress.
    public var sessionCount: Int { registry.withLock { $0.sessions.count } }

    /// Stored channels, by state.
    public func channels(in states: Set<ServerChannelRecord.State> = Set(ServerChannelRecord.State.allCases))
        async throws(ServerManagerError) -> [ServerChannelRecord]
    {
        do { return try await store.serverChannels(in: states) } catch { throw .store(error) }
    }

    /// Settles a channel now (an operator's command). A connected client is told with `CLOSE`.
    /// Returns the channel's record once the settlement was broadcast or failed.
    @discardableResult
    public func settle(contractTxid txid: Hash256) async throws(ServerManagerError) -> ServerChannelRecord {
        let holder = registry.withLock { $0.holders[txid] }
        if let holder, !holder.isOffline, holder.settle() {
            await holder.waitUntilEnded()
        } else {
            // A connection that is ending still holds the channel until it has ended.
            await holder?.waitUntilEnded()
            try await settleOffline(txid, feeRate: nil)
        }
        guard let record = try? await store.serverChannel(contractTxid: txid) else { throw .unknownChannel(txid) }
        return record
    }

    /// Ends every conversation without settling (channels stay open and can be resumed), stops
    /// the timers, and waits until everything written is durable.
    public func shutdown() async {
        let sessions = registry.withLock { registry -> [ServerSession] in
            registry.shutDown = true
            return Array(registry.sessions.values)
        }
        scheduler.withLock { $0 }?.stop()
        for session in sessions where !session.isOffline { session.connectionClosed() }
        for session in sessions { await session.waitUntilEnded() }
        try? await store.waitUntilDurable(store.enqueue([]))
        hub.finish()
        logger.info("server manager shut down")
    }

    // MARK: Called by sessions

    func publish(_ event: ServerManagerEvent) {
        if case .channel(.settled(let txid, let settlement, _), _) = event { noteSettlement(txid, settlement) }
        metrics.record(event)
        log(event)
        hub.publish(event)
    }

    func scheduler(schedule deadline: Deadline, at time: UInt64) {
        scheduler.withLock { $0 }?.schedule(deadline, at: time)
    }

    /// When `deadline` is armed for, if it is.
    func deadline(of deadline: Deadline) -> UInt64? {
        scheduler.withLock { $0 }?.deadline(of: deadline)
    }

    func arm(_ timer: ChannelTimer, at time: UInt64) {
        guard case .settleBeforeExpiry(let txid) = timer else { return }
        scheduler.withLock { $0 }?.schedule(.settle(txid), at: time)
    }

    func cancel(_ timer: ChannelTimer) {
        guard case .settleBeforeExpiry(let txid) = timer else { return }
        scheduler.withLock { $0 }?.cancel(.settle(txid))
    }

    /// Records that `session` holds a newly opened (or resumed) channel, under `claim`.
    func bind(_ txid: Hash256, to session: ServerSession, claim: ChannelClaim?) {
        registry.withLock { registry in
            registry.holders[txid] = session
            if let claim { registry.claims[txid] = claim }
        }
    }

    func sessionEnded(_ session: ServerSession, holding txid: Hash256?, claim: ChannelClaim?) {
        registry.withLock { registry in
            registry.sessions[session.id] = nil
            if let txid, registry.holders[txid] === session { registry.holders[txid] = nil }
            if let claim, registry.claims[claim.contractTxid] == claim { registry.claims[claim.contractTxid] = nil }
        }
        if let claim, claims.fencesWrites { releaseSoon(claim) }
    }

    /// What a resume found.
    enum ResumeLookup {
        case found(ServerChannelRecord, PrivateKey)
        /// No open channel by that txid here: a new one is offered.
        case missing
        /// The channel exists but could not be claimed in time: the client is told to retry.
        case unavailable(String)
    }

    /// A client asks to resume `txid`: takes it for `session` (ending the connection that held
    /// it, unless the manager itself is settling it), claims it for this node (waiting, within
    /// a lease and ``ServerManagerConfig/claimWaitMargin``, for another node to let it go), and
    /// returns the stored channel if it is open.
    func claimForResume(_ txid: Hash256, by session: ServerSession) async -> ResumeLookup {
        enum Taken {
            case refused
            case taken(replacing: ServerSession?)
        }
        let taken = registry.withLock { registry -> Taken in
            let holder = registry.holders[txid]
            if let holder, holder.isOffline || holder === session { return .refused }
            if registry.claimingOffline.contains(txid) { return .refused }
            registry.holders[txid] = session
            return .taken(replacing: holder)
        }
        guard case .taken(let previous) = taken else { return .missing }
        if let previous {
            logger.info("channel \(txid.displayHex): session \(session.id) replaces session \(previous.id)")
            previous.replaced()
        }
        let giveUp = { [self] in registry.withLock { if $0.holders[txid] === session { $0.holders[txid] = nil } } }
        let claim: ChannelClaim
        do { claim = try await claimWaiting(txid) } catch {
            giveUp()
            logger.warning("channel \(txid.displayHex): resume by session \(session.id) not served: \(error)")
            return .unavailable("channel \(txid.displayHex) is busy on another server node, try again: \(error)")
        }
        guard let record = try? await store.serverChannel(contractTxid: txid), record.state == .open,
            let key = try? keychain.key(.serverChannel, index: record.serverKeyIndex)
        else {
            giveUp()
            if claims.fencesWrites { releaseSoon(claim) }
            return .missing
        }
        session.adopt(claim)
        return .found(record, key)
    }

    /// Broadcasts and reports; true when the backend accepted the transaction.
    func broadcast(_ transaction: Transaction, _ purpose: BroadcastPurpose) async -> Bool {
        let accepted = await chain.broadcastLoggingRefusal(transaction, purpose, logger: logger)
        publish(.broadcast(transaction, purpose, accepted: accepted))
        return accepted
    }

    func settleTime(_ expiry: UInt64) -> UInt64 {
        expiry > config.channel.expirySettlementMargin ? expiry - config.channel.expirySettlementMargin : 0
    }

    private func newChannelKey() async throws(ServerManagerError) -> (UInt32, PrivateKey) {
        // An index whose derivation is invalid (odds about 2^-127) is skipped, as BIP32 says.
        while true {
            let index: UInt32
            do { index = try await store.reserveKeyIndex(.serverChannel) } catch { throw .store(error) }
            if let key = try? keychain.key(.serverChannel, index: index) { return (index, key) }
        }
    }
}
