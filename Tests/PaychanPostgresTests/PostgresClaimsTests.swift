import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
@_spi(StoreTesting) import PaychanPostgres
import PostgresNIO
import Synchronization
import Testing

/// Channel claims on a real PostgreSQL: leases judged by the database's clock (real seconds
/// here), fencing tokens from one sequence, writes refused once their claim is lost (in a
/// group commit of payments too, without failing the others), and a takeover that waits for a
/// write in flight under the old claim.
@Suite("PostgreSQL channel claims", .enabled(if: PostgresTestDatabase.isConfigured), .timeLimit(.minutes(1)))
struct PostgresClaimsTests {
    /// Two nodes' stores and claims on one fresh schema, closed afterwards.
    private static func withTwoNodes(
        lease: UInt64 = 2,
        beforeCommitA: (@Sendable () async -> Void)? = nil,
        _ body: (
            _ storeA: PostgresChannelStore, _ a: PostgresChannelClaims, _ storeB: PostgresChannelStore,
            _ b: PostgresChannelClaims
        )
            async throws -> Void
    ) async throws {
        try await PostgresTestDatabase.withFreshSchema { configuration in
            let storeA = try await PostgresChannelStore.open(
                configuration, clock: SystemClock(), logger: PostgresTestDatabase.logger, beforeCommit: beforeCommitA)
            let storeB = try await PostgresChannelStore.open(
                configuration, clock: SystemClock(), logger: PostgresTestDatabase.logger)
            let a = PostgresChannelClaims(configuration: configuration, nodeID: "a", leaseSeconds: lease)
            let b = PostgresChannelClaims(configuration: configuration, nodeID: "b", leaseSeconds: lease)
            do {
                try await body(storeA, a, storeB, b)
            } catch {
                a.close()
                b.close()
                await storeA.close()
                await storeB.close()
                throw error
            }
            a.close()
            b.close()
            await storeA.close()
            await storeB.close()
        }
    }

    /// A server channel stored by node A under a new claim.
    private static func open(_ seed: Int, on store: PostgresChannelStore, by claims: PostgresChannelClaims)
        async throws -> (ServerChannelRecord, ChannelClaim)
    {
        let record = try StoreFixtures.server(seed)
        let claim = ChannelClaim(
            contractTxid: record.contractTxid, nodeID: claims.nodeID, token: try await claims.reserveToken())
        try await store.write([.claimOpened(claim, leaseSeconds: claims.leaseSeconds), .server(.channel(record))])
        return (record, claim)
    }

    private static func payment(_ record: ServerChannelRecord, _ value: Int64) throws -> StoreWrite {
        .server(
            .payment(
                contractTxid: record.contractTxid, bestValueToServer: try StoreFixtures.amount(value),
                signature: StoreFixtures.signature(Int(value % 100))))
    }

    private static func outcome(_ store: PostgresChannelStore, _ ticket: StoreTicket) async -> StoreError? {
        do throws(StoreError) {
            try await store.waitUntilDurable(ticket)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "a claim is refused to another node while the lease runs on the database's clock, then granted with a larger token"
    )
    func leaseLapses() async throws {
        // The lease runs on the database's clock from the statement that granted or renewed it.
        // A refusal or a renewal is owed only when it finished within a lease of the start of
        // that statement; a test process stalled longer (a full parallel run on 2 cores) proves
        // nothing about leases, and the run is made again.
        for attempt in 1...3 {
            if try await Self.leaseLapsesOnce() { return }
            print("PostgreSQL channel claims: this process stalled past a lease (attempt \(attempt)); again")
        }
        Issue.record("this test process stalled past a lease three times")
    }

    /// One run of ``leaseLapses()``; false when this process stalled past a lease.
    private static func leaseLapsesOnce() async throws -> Bool {
        let lease: UInt64 = 3
        var decided = true
        try await Self.withTwoNodes(lease: lease) { storeA, a, _, b in
            var granted = ContinuousClock.now
            let (record, claimA) = try await Self.open(1, on: storeA, by: a)
            func leaseSurely(heldSince start: ContinuousClock.Instant) -> Bool {
                start.duration(to: .now) < .seconds(Int64(lease))
            }
            func refusedToB() async -> Bool? {
                do throws(ClaimError) {
                    _ = try await b.claim(record.contractTxid)
                    guard leaseSurely(heldSince: granted) else { return nil }
                    return false
                } catch {
                    #expect(error == .heldElsewhere(record.contractTxid, node: "a"))
                    return true
                }
            }
            guard let first = await refusedToB() else {
                decided = false
                return
            }
            #expect(first, "node b was granted a claim that node a held")
            // Renewals keep it: three heartbeats over a lease and more.
            for _ in 0..<4 {
                try await Task.sleep(nanoseconds: 900_000_000)
                let renewing = ContinuousClock.now
                let lost = try await a.renew([claimA])
                if !lost.isEmpty, !leaseSurely(heldSince: granted) {
                    decided = false
                    return
                }
                #expect(lost.isEmpty, "a renewal within the lease lost the claim")
                granted = renewing
            }
            guard let second = await refusedToB() else {
                decided = false
                return
            }
            #expect(second, "node b was granted a claim that node a renewed")
            try await Task.sleep(nanoseconds: (lease * 1_000 + 300) * 1_000_000)
            #expect(try await a.renew([claimA]) == [claimA])
            let claimB = try await b.claim(record.contractTxid)
            #expect(claimB.token > claimA.token)
        }
        return decided
    }

    @Test(
        "many claims at once on a node's first use of its claims connection all succeed (none runs on a connection another caller closed)"
    )
    func concurrentFirstClaims() async throws {
        try await Self.withTwoNodes(lease: 60) { storeA, _, _, b in
            var records: [ServerChannelRecord] = []
            for seed in 0..<40 {
                let record = try StoreFixtures.server(200 + seed)
                records.append(record)
                try await storeA.write([.server(.channel(record))])
            }
            // `b` has not used its connection yet: 40 claims race to open it.
            let outcomes = await withTaskGroup(of: String?.self) { group in
                for record in records {
                    group.addTask {
                        do {
                            let claim = try await b.claim(record.contractTxid)
                            return claim.nodeID == "b" ? nil : "granted to \(claim.nodeID)"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                var failures: [String] = []
                for await outcome in group { if let outcome { failures.append(outcome) } }
                return failures
            }
            #expect(outcomes == [])
            let audit = try await b.audit()
            #expect(Set(audit.grants.map(\.contractTxid)) == Set(records.map(\.contractTxid)))
        }
    }

    @Test("writes under a lost claim are refused alone, in a group commit of payments and in a transaction alike")
    func fencedWrites() async throws {
        try await Self.withTwoNodes { storeA, a, storeB, b in
            let (first, claimFirst) = try await Self.open(1, on: storeA, by: a)
            let (second, claimSecond) = try await Self.open(2, on: storeA, by: a)
            try await storeA.write([.claimHeld(claimFirst), Self.payment(first, 2_000)])
            // Node B takes the first channel over (node A released it), not the second.
            try await a.release(claimFirst)
            let claimB = try await b.claim(first.contractTxid)
            try await storeB.write([.claimHeld(claimB), Self.payment(first, 3_000)])
            // Node A's payments on both channels, as one batch: the stale one is refused alone.
            let stale = storeA.enqueue([.claimHeld(claimFirst), try Self.payment(first, 9_000)])
            let good = storeA.enqueue([.claimHeld(claimSecond), try Self.payment(second, 4_000)])
            #expect(await Self.outcome(storeA, stale)?.kind == .claimLost)
            #expect(await Self.outcome(storeA, good) == nil)
            // A state change under the stale claim (the general path) is refused too.
            let state = storeA.enqueue([
                .claimHeld(claimFirst), .server(.state(contractTxid: first.contractTxid, .settling, settlement: nil)),
            ])
            #expect(await Self.outcome(storeA, state)?.kind == .claimLost)
            let stored = try #require(try await storeB.serverChannel(contractTxid: first.contractTxid))
            #expect(stored.bestValueToServer.satoshis == 3_000 && stored.state == .open)
            #expect(
                try await storeA.serverChannel(contractTxid: second.contractTxid)?.bestValueToServer.satoshis == 4_000)
            // A second opening of a claimed channel is refused.
            let reopen = ChannelClaim(contractTxid: first.contractTxid, nodeID: "a", token: try await a.reserveToken())
            let refused = storeA.enqueue([.claimOpened(reopen, leaseSeconds: 2), .server(.channel(first))])
            #expect(await Self.outcome(storeA, refused)?.kind == .claimLost)

            let audit = try await a.audit()
            #expect(audit.violations.isEmpty, "\(audit.violations)")
            #expect(audit.grants.map(\.nodeID) == ["a", "a", "b"])
            // Opened twice and paid once by A; paid once by B; opened and paid once by A.
            #expect(audit.writeCount == 5)
            let lastTokens = try await PostgresTestDatabase.withConnection(
                storeA.configuration, schema: storeA.configuration.schema
            ) {
                connection in
                try await connection.query(
                    "SELECT last_token FROM server_channels ORDER BY channel_value", logger: PostgresTestDatabase.logger
                )
                .collect().map { try $0.decode(Int64.self) }
            }
            #expect(lastTokens == [Int64(claimB.token), Int64(claimSecond.token)])
        }
    }

    @Test("a takeover waits for a write in flight under the old claim, which commits first")
    func takeoverWaitsForWriteInFlight() async throws {
        // A's write checks its claim inside its transaction; only when that check ran within a
        // lease of the grant does the write hold the claim (otherwise it is refused, rightly, and
        // B need not wait). A test process stalled that long proves nothing; the run is made again.
        for attempt in 1...3 {
            if try await Self.takeoverOnce() { return }
            print(
                "PostgreSQL channel claims: this process stalled past a lease before the write (attempt \(attempt)); again"
            )
        }
        Issue.record("this test process stalled past a lease three times")
    }

    /// One run of ``takeoverWaitsForWriteInFlight()``; false when the write's claim check may have
    /// come after the lease lapsed.
    private static func takeoverOnce() async throws -> Bool {
        let lease: UInt64 = 2
        let inCommit = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let gate = AsyncGate()
        let holding = Mutex(false)
        var decided = true
        try await Self.withTwoNodes(
            lease: lease,
            beforeCommitA: {
                guard holding.withLock({ $0 }) else { return }
                inCommit.withLock {
                    $0?.resume()
                    $0 = nil
                }
                await gate.wait()
            }
        ) { storeA, a, _, b in
            let granting = ContinuousClock.now
            let (record, claimA) = try await Self.open(1, on: storeA, by: a)
            holding.withLock { $0 = true }
            // A state write (a transaction, so the hook runs before its COMMIT) under A's claim.
            let writing = Mutex<StoreTicket?>(nil)
            await withCheckedContinuation { continuation in
                inCommit.withLock { $0 = continuation }
                let ticket = storeA.enqueue([
                    .claimHeld(claimA), .server(.state(contractTxid: record.contractTxid, .settling, settlement: nil)),
                ])
                writing.withLock { $0 = ticket }
            }
            let write = try #require(writing.withLock { $0 })
            guard granting.duration(to: .now) < .seconds(Int64(lease)) else {
                holding.withLock { $0 = false }
                await gate.open()
                _ = await Self.outcome(storeA, write)
                decided = false
                return
            }
            let ticket = storeA.enqueue([])
            // The lease lapses while A's transaction is open; B's claim must wait for it.
            try await Task.sleep(nanoseconds: (lease * 1_000 + 500) * 1_000_000)
            let claimed = Mutex(false)
            let takeover = Task {
                let claim = try await b.claim(record.contractTxid)
                claimed.withLock { $0 = true }
                return claim
            }
            try await Task.sleep(nanoseconds: 700_000_000)
            #expect(!claimed.withLock { $0 }, "the claim did not wait for the write in flight")
            holding.withLock { $0 = false }
            await gate.open()
            let claimB = try await takeover.value
            #expect(claimB.token > claimA.token)
            #expect(await Self.outcome(storeA, write) == nil)
            #expect(await Self.outcome(storeA, ticket) == nil)
            #expect(try await storeA.serverChannel(contractTxid: record.contractTxid)?.state == .settling)
        }
        return decided
    }
}

/// Lets waiters through once opened.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
