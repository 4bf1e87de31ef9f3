import BitcoinPrimitives
import ChannelStateMachine

extension ServerManager {
    func deadlinePassed(_ deadline: Deadline) async {
        switch deadline {
        case .settle(let txid):
            let holder = registry.withLock { $0.holders[txid] }
            if let holder, !holder.isOffline, holder.timerFired(.settleBeforeExpiry(contractTxid: txid)) { return }
            // A connection that is ending still holds the channel until it has ended.
            await holder?.waitUntilEnded()
            do { try await settleOffline(txid, feeRate: nil) } catch {
                expirySettlementFailed(txid, error)
            }
        case .chainCheck:
            await checkChain()
            let next = clock.now().plus(config.chainCheckInterval)
            scheduler(schedule: .chainCheck, at: next)
        case .heartbeat:
            await heartbeat()
            scheduler(schedule: .heartbeat, at: clock.now().plus(heartbeatInterval))
        case .rescan:
            await rescan()
            scheduler(schedule: .rescan, at: clock.now().plus(config.clusterRescanInterval))
        }
    }

    /// An expiry settlement that could not run: with shared claims, a channel another node
    /// holds is tried again after a third of a lease (its holder settles it, or dies and lets
    /// it go), and one another node has settled is left alone.
    private func expirySettlementFailed(_ txid: Hash256, _ error: ServerManagerError) {
        if claims.fencesWrites {
            switch error {
            case .claim, .notOpen(_, .settling), .store:
                scheduler(schedule: .settle(txid), at: clock.now().plus(heartbeatInterval))
                logger.info("expiry settlement of \(txid.displayHex) deferred: \(error)")
                return
            case .notOpen(_, .settled), .notOpen(_, .failed):
                return
            default:
                break
            }
        }
        publish(.failure("expiry settlement of \(txid.displayHex) failed: \(error)"))
    }

    /// Checks every settlement not yet confirmed; one unconfirmed for longer than
    /// ``ServerManagerConfig/settlementRebroadcastAfter`` is rebuilt at a higher fee rate and
    /// broadcast again (it replaces the old one).
    public func checkChain() async {
        let now = clock.now()
        let watched = registry.withLock { $0.unconfirmed }
        for (txid, watch) in watched {
            let status: TransactionStatus
            do { status = try await chain.status(of: watch.settlement.txid) } catch {
                publish(.failure("chain status of \(watch.settlement.txid.displayHex) unavailable: \(error)"))
                continue
            }
            if case .confirmed = status {
                registry.withLock { _ = $0.unconfirmed.removeValue(forKey: txid) }
                continue
            }
            guard now >= watch.broadcastAt.plus(config.settlementRebroadcastAfter) else { continue }
            await bumpSettlement(txid, current: watch.settlement)
        }
    }

    private func bumpSettlement(_ txid: Hash256, current: Transaction) async {
        guard let record = try? await store.serverChannel(contractTxid: txid) else { return }
        let currentRate = (try? record.channelValue.subtracting(current.totalOutputValue())).flatMap {
            try? FeeRate(fee: $0, virtualSize: current.virtualSize)
        }
        let estimate = try? await chain.feeRate(targetBlocks: 1)
        let doubled = (try? FeeRate(satoshisPerKilovirtualByte: (currentRate?.satoshisPerKilovirtualByte ?? 1000) * 2))
        let rate = min(
            max(estimate ?? .defaultMinimumRelayFee, doubled ?? .defaultMinimumRelayFee),
            config.maximumSettlementFeeRate)
        guard rate > (currentRate ?? .zero) else {
            publish(.failure("settlement of \(txid.displayHex) unconfirmed, fee rate already at the maximum"))
            registry.withLock { $0.unconfirmed[txid]?.broadcastAt = clock.now() }
            return
        }
        do { try await settleOffline(txid, feeRate: rate, allowResettle: true) } catch {
            publish(.failure("fee bump of \(txid.displayHex) failed: \(error)"))
            return
        }
        if let settled = try? await store.serverChannel(contractTxid: txid), let settlement = settled.settlement,
            settlement.txid != current.txid
        {
            publish(.settlementBumped(contractTxid: txid, settlement: settlement, feeRate: rate))
        }
    }

    /// Settles a stored channel without a connection, through a session of its own, under a
    /// claim of this node.
    func settleOffline(_ txid: Hash256, feeRate: FeeRate?, allowResettle: Bool = false)
        async throws(ServerManagerError)
    {
        try await withOfflineClaim(txid) { claim throws(ServerManagerError) in
            try await settleOffline(txid, feeRate: feeRate, allowResettle: allowResettle, claim: claim)
        }
    }

    private func settleOffline(_ txid: Hash256, feeRate: FeeRate?, allowResettle: Bool, claim: ChannelClaim)
        async throws(ServerManagerError)
    {
        let stored: ServerChannelRecord?
        do { stored = try await store.serverChannel(contractTxid: txid) } catch { throw .store(error) }
        guard var record = stored else { throw .unknownChannel(txid) }
        let resettle = record.state == .settling || (allowResettle && record.state == .settled)
        guard record.state == .open || resettle else { throw .notOpen(txid, record.state) }
        let key: PrivateKey
        do { key = try keychain.key(.serverChannel, index: record.serverKeyIndex) } catch { throw .keys(error) }
        var channelConfig = config.channel
        if let feeRate { channelConfig.settlementFee = .feeRate(feeRate) }
        // A settlement being redone starts again from the open channel's payment.
        record.state = .open
        let machine: ServerChannel
        do { machine = try ServerChannel(config: channelConfig, restoring: record, key: key) } catch {
            throw .channel(error)
        }
        let session = try registry.withLock { registry throws(ServerManagerError) -> ServerSession? in
            guard !registry.shutDown else { throw .shutDown }
            if let holder = registry.holders[txid], !holder.isEnded { return nil }
            registry.nextSessionID += 1
            let session = ServerSession(
                id: registry.nextSessionID, machine: machine, connection: nil, manager: self, claim: claim)
            registry.sessions[session.id] = session
            registry.holders[txid] = session
            return session
        }
        guard let session else { throw .notOpen(txid, .settling) }
        session.runOfflineSettlement()
        await session.waitUntilEnded()
    }

    /// A channel stored before its contract's broadcast finished: under a claim of this node,
    /// broadcast it again, then open it (and arm its expiry) or mark it failed. A channel another
    /// node holds (it may be opening it now) is left to that node.
    func finishInterruptedOpening(_ record: ServerChannelRecord) async {
        let txid = record.contractTxid
        let state: ServerChannelRecord.State
        do {
            state = try await withOfflineClaim(txid) { claim throws(ServerManagerError) in
                try await finishOpening(record, claim: claim)
            }
        } catch {
            if case .claim(.heldElsewhere) = error { return }
            publish(.failure("could not finish opening channel \(txid.displayHex): \(error)"))
            return
        }
        logger.info("channel \(txid.displayHex): interrupted opening finished as \(state.rawValue)")
        if state == .open { arm(.settleBeforeExpiry(contractTxid: txid), at: settleTime(record.expiry)) }
    }

    /// Broadcasts the contract of a channel still opening (read again under `claim`) and
    /// records the outcome; returns the state it is left in.
    private func finishOpening(_ stale: ServerChannelRecord, claim: ChannelClaim)
        async throws(ServerManagerError) -> ServerChannelRecord.State
    {
        let txid = stale.contractTxid
        let current: ServerChannelRecord?
        do { current = try await store.serverChannel(contractTxid: txid) } catch { throw .store(error) }
        guard let record = current else { throw .unknownChannel(txid) }
        guard record.state == .opening else { return record.state }
        let accepted = await broadcast(record.contract, .contract)
        let state: ServerChannelRecord.State = accepted ? .open : .failed
        var writes: [StoreWrite] = [.server(.state(contractTxid: txid, state, settlement: nil))]
        if claims.fencesWrites { writes.insert(.claimHeld(claim), at: 0) }
        do { try await store.write(writes) } catch { throw .store(error) }
        return state
    }

    func noteSettlement(_ txid: Hash256, _ settlement: Transaction) {
        let now = clock.now()
        registry.withLock { $0.unconfirmed[txid] = SettlementWatch(settlement: settlement, broadcastAt: now) }
    }
}
