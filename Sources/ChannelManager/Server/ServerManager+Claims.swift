import BitcoinPrimitives
import ChannelStateMachine

/// Claims across nodes: waiting for a channel another node holds, the heartbeat that renews
/// this node's claims, and the rescan that picks up the channels other nodes opened or left.
extension ServerManager {
    /// How often the heartbeat renews this node's claims: a third of the lease.
    var heartbeatInterval: UInt64 { max(1, claims.leaseSeconds / 3) }

    /// Claims `txid` for this node, waiting while another node holds it, up to one lease and
    /// ``ServerManagerConfig/claimWaitMargin`` (by then a dead holder's lease has lapsed).
    func claimWaiting(_ txid: Hash256) async throws(ClaimError) -> ChannelClaim {
        let giveUpAt = clock.now().plus(claims.leaseSeconds).plus(config.claimWaitMargin)
        while true {
            do { return try await claims.claim(txid) } catch {
                guard case .heldElsewhere = error, clock.now() < giveUpAt else { throw error }
            }
            do { try await clock.sleep(until: clock.now().plus(1)) } catch { throw .unavailable("cancelled") }
        }
    }

    /// Gives a claim up in the background (a failure only means the lease lapses by itself).
    func releaseSoon(_ claim: ChannelClaim) {
        Task { [claims, logger] in
            do { try await claims.release(claim) } catch {
                logger.info("\(claim) not released (its lease will lapse): \(error)")
            }
        }
    }

    /// Runs `work` on `txid` without a connection, under a claim of this node taken first (a
    /// resume meanwhile is refused). Throws `.notOpen(txid, .settling)` when a session of this
    /// node holds the channel, `.claim` when another node does.
    func withOfflineClaim<T>(
        _ txid: Hash256, _ work: (ChannelClaim) async throws(ServerManagerError) -> T
    ) async throws(ServerManagerError) -> T {
        try registry.withLock { registry throws(ServerManagerError) in
            guard !registry.shutDown else { throw .shutDown }
            if let holder = registry.holders[txid], !holder.isEnded { throw .notOpen(txid, .settling) }
            guard registry.claimingOffline.insert(txid).inserted else { throw .notOpen(txid, .settling) }
        }
        defer { registry.withLock { _ = $0.claimingOffline.remove(txid) } }
        let claim: ChannelClaim
        do { claim = try await claims.claim(txid) } catch { throw .claim(error) }
        do {
            let result = try await work(claim)
            releaseUnlessHeld(claim)
            return result
        } catch {
            releaseUnlessHeld(claim)
            throw error
        }
    }

    /// Releases `claim` unless a session of this node now holds the channel under it.
    private func releaseUnlessHeld(_ claim: ChannelClaim) {
        let held = registry.withLock { $0.claims[claim.contractTxid] == claim }
        if !held, claims.fencesWrites { releaseSoon(claim) }
    }

    /// Renews the claims of the channels this node's sessions hold; a session whose claim was
    /// lost (or all of them, when the renewal itself fails) is ended without settling.
    func heartbeat() async {
        let held = registry.withLock { Array($0.claims.values) }
        guard !held.isEmpty else { return }
        let lost: Set<ChannelClaim>
        do { lost = try await claims.renew(held) } catch {
            logger.error("claims not renewed, dropping the \(held.count) channels served: \(error)")
            lost = Set(held)
        }
        guard !lost.isEmpty else { return }
        let sessions = registry.withLock { registry -> [ServerSession] in
            lost.compactMap { claim in
                // A claim taken again meanwhile (a resume on this node) is not lost.
                guard registry.claims[claim.contractTxid] == claim else { return nil }
                registry.claims[claim.contractTxid] = nil
                return registry.holders[claim.contractTxid]
            }
        }
        for session in sessions { session.claimLost() }
        publish(.failure("\(lost.count) channel claims lost; their connections were closed"))
    }

    /// Reads the store again for what other nodes opened or left: arms the expiry of open
    /// channels not armed here, and settles (or finishes opening) channels left half done,
    /// each under a claim (a channel another node holds is left to it).
    func rescan() async {
        let records: [ServerChannelRecord]
        do { records = try await store.serverChannels(in: [.opening, .open, .settling]) } catch {
            publish(.failure("cluster rescan failed: \(error)"))
            return
        }
        let now = clock.now()
        for record in records {
            let txid = record.contractTxid
            if registry.withLock({ $0.holders[txid] != nil || $0.claimingOffline.contains(txid) }) { continue }
            switch record.state {
            case .open:
                if deadline(of: .settle(txid)) == nil {
                    scheduler(schedule: .settle(txid), at: settleTime(record.expiry))
                }
            case .settling:
                if deadline(of: .settle(txid)) == nil { scheduler(schedule: .settle(txid), at: now) }
            case .opening:
                await finishInterruptedOpening(record)
            case .settled, .failed:
                break
            }
        }
    }
}
