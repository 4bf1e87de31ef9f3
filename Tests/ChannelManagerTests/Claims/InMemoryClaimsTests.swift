import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelStoreConformance
import Testing

/// The claim rules of a shared store (here the in-memory one, on a manual clock): leases,
/// fencing tokens that only grow, and writes refused once their claim is lost.
@Suite("Channel claims in a shared in-memory store")
struct InMemoryClaimsTests {
    let clock = ManualClock(now: 1_700_000_000)
    let store: InMemoryChannelStore
    let nodeA: InMemoryChannelClaims
    let nodeB: InMemoryChannelClaims

    init() {
        store = InMemoryChannelStore(clock: clock)
        nodeA = store.claims(nodeID: "a", leaseSeconds: 6)
        nodeB = store.claims(nodeID: "b", leaseSeconds: 6)
    }

    /// A stored server channel, opened under a claim of node A.
    private func openedByA() async throws -> (ServerChannelRecord, ChannelClaim) {
        let record = try StoreFixtures.server(1)
        let claim = ChannelClaim(contractTxid: record.contractTxid, nodeID: "a", token: try await nodeA.reserveToken())
        try await store.write([.claimOpened(claim, leaseSeconds: 6), .server(.channel(record))])
        return (record, claim)
    }

    private func payment(_ record: ServerChannelRecord, _ value: Int64) -> StoreWrite {
        .server(
            .payment(contractTxid: record.contractTxid, bestValueToServer: ClusterTestbed.sats(value), signature: [1]))
    }

    private func refusal(_ writes: [StoreWrite]) async -> StoreError? {
        do throws(StoreError) {
            try await store.write(writes)
            return nil
        } catch {
            return error
        }
    }

    @Test("a claim is refused to another node while its lease runs, and granted once it lapsed, with a larger token")
    func leaseLapses() async throws {
        let (record, claimA) = try await openedByA()
        clock.advance(by: 5)
        await #expect(throws: ClaimError.heldElsewhere(record.contractTxid, node: "a")) {
            try await nodeB.claim(record.contractTxid)
        }
        clock.advance(by: 1)
        let claimB = try await nodeB.claim(record.contractTxid)
        #expect(claimB.token > claimA.token)
        #expect(store.claimHolder(of: record.contractTxid) == claimB)
    }

    @Test("a renewal keeps a claim alive and reports the claims lost")
    func renewal() async throws {
        let (record, claimA) = try await openedByA()
        for _ in 0..<5 {
            clock.advance(by: 2)
            #expect(try await nodeA.renew([claimA]).isEmpty)
        }
        await #expect(throws: ClaimError.self) { try await nodeB.claim(record.contractTxid) }
        clock.advance(by: 6)
        #expect(try await nodeA.renew([claimA]) == [claimA])
    }

    @Test("a write under a lost claim is refused alone, nothing of it applied")
    func fencedWrites() async throws {
        let (record, claimA) = try await openedByA()
        try await store.write([.claimHeld(claimA), payment(record, 1_000)])
        clock.advance(by: 7)
        let lapsed = await refusal([.claimHeld(claimA), payment(record, 2_000)])
        #expect(lapsed?.kind == .claimLost)
        let claimB = try await nodeB.claim(record.contractTxid)
        try await store.write([.claimHeld(claimB), payment(record, 3_000)])
        // Node A's lease would still run had it renewed: the token fences it all the same.
        let stale = await refusal([.claimHeld(claimA), payment(record, 4_000)])
        #expect(stale?.kind == .claimLost)
        #expect(try await store.serverChannel(contractTxid: record.contractTxid)?.bestValueToServer.satoshis == 3_000)
        // Other writes go on: the store did not fail.
        try await store.write([.claimHeld(claimB), payment(record, 5_000)])
        let audit = store.claimAudit
        #expect(audit.violations.isEmpty)
        #expect(audit.writes.count == 2)
        #expect(audit.writeCount == 4)
    }

    @Test("a node claiming its own channel again supersedes its older claim")
    func sameNodeSupersedes() async throws {
        let (record, first) = try await openedByA()
        let second = try await nodeA.claim(record.contractTxid)
        #expect(second.token > first.token)
        #expect(await refusal([.claimHeld(first), payment(record, 1_000)])?.kind == .claimLost)
        try await store.write([.claimHeld(second), payment(record, 1_000)])
        try await nodeA.release(first)  // an old claim's release changes nothing
        #expect(store.claimHolder(of: record.contractTxid) == second)
    }

    @Test("a released claim is granted to another node at once; a channel claimed already cannot be opened again")
    func releaseAndOpen() async throws {
        let (record, claimA) = try await openedByA()
        try await nodeA.release(claimA)
        let claimB = try await nodeB.claim(record.contractTxid)
        let reopened = ChannelClaim(
            contractTxid: record.contractTxid, nodeID: "a", token: try await nodeA.reserveToken())
        let refused = await refusal([.claimOpened(reopened, leaseSeconds: 6), .server(.channel(record))])
        #expect(refused?.kind == .claimLost)
        #expect(store.claimHolder(of: record.contractTxid) == claimB)
    }

    @Test("the audit finds writes from two nodes under one token")
    func auditFindsViolations() throws {
        let txid = try StoreFixtures.hash(1, tag: 1)
        let audit = ClaimAudit(
            grants: [ChannelClaim(contractTxid: txid, nodeID: "a", token: 7)],
            writes: [
                .init(contractTxid: txid, token: 7, nodeID: "a", count: 3),
                .init(contractTxid: txid, token: 7, nodeID: "b", count: 1),
            ])
        #expect(audit.violations.count == 2)
        #expect(ClaimAudit(grants: audit.grants, writes: [audit.writes[0]]).violations.isEmpty)
    }
}
