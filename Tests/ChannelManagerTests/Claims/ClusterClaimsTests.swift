import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// Several server managers on one store: a channel is served by one node at a time, a node
/// that lost its claim can neither store nor acknowledge a payment, and each channel is settled
/// once. The nodes share an in-memory store whose claims are real leases on the store's clock.
@Suite("Server nodes sharing one store claim each channel they serve", .timeLimit(.minutes(1)))
struct ClusterClaimsTests {
    static let sats = ClusterTestbed.sats

    @Test("a session that ends lets another node resume the channel at once, under a larger token")
    func releasedOnEnd() async throws {
        let bed = try await ClusterTestbed()
        let (first, _, pipe) = try await bed.connect(to: 0)
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(1_000))
        pipe.cut()
        try await eventually("the client session ended") { first.isEnded }
        try await eventually("node 0 released its claim") {
            bed.serverStore.claimHolder(of: opened.contractTxid) == nil
        }

        let (second, _, _) = try await bed.connect(to: 1)
        let resumed = try await second.open(value: Self.sats(500_000))
        #expect(resumed.resumed && resumed.contractTxid == opened.contractTxid)
        try await second.pay(Self.sats(2_000))
        #expect(bed.serverStore.claimHolder(of: opened.contractTxid)?.nodeID == "node-1")

        let audit = bed.serverStore.claimAudit
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        let grants = audit.grants.filter { $0.contractTxid == opened.contractTxid }
        #expect(grants.map(\.nodeID) == ["node-0", "node-1"])
        #expect(grants.count == 2 && grants[0].token < grants[1].token)
        let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        let paid = try opened.value.subtracting(resumed.valueLeft).adding(Self.sats(2_000))
        #expect(record.bestValueToServer == paid)
    }

    @Test("a paused node's channel is taken over after its lease, and the node can no longer store a payment")
    func pausedNodeIsFenced() async throws {
        let bed = try await ClusterTestbed()
        let fromA = MessageLog()
        let (first, sessionA, _) = try await bed.connect(to: 0, closeIsLost: true, received: fromA)
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(1_000))
        let acksBefore = fromA.paymentAcks
        #expect(acksBefore == 1)

        // Node 0 stops (no heartbeat); the client loses its connection, node 0 does not notice.
        bed.pause(0)
        first.connectionClosed()
        try await eventually("the client session ended") { first.isEnded }
        var recording: SendRecordingConnection?
        let (second, _, _) = try await bed.connect(to: 1) { end in
            let connection = SendRecordingConnection(end, forwardsClose: true)
            recording = connection
            return connection
        }
        let resume = Task { try await second.open(value: Self.sats(500_000)) }
        // The resume waits while node 0's lease runs, then node 1 takes the channel.
        try await bed.advance(by: 2)
        #expect(bed.serverStore.claimHolder(of: opened.contractTxid)?.nodeID == "node-0")
        try await bed.advance(by: ClusterTestbed.lease)
        let resumed = try await resume.value
        #expect(resumed.resumed && resumed.contractTxid == opened.contractTxid)
        try await second.pay(Self.sats(4_000))
        let storedByB = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))

        // Node 0 wakes up and is handed a later, validly signed payment on its old connection.
        let payment = try #require(recording?.sent.lastPayment)
        sessionA.receive(ChannelMessage.updatePayment(payment).encoded())
        try await eventually("node 0's session ended") { sessionA.isEnded }
        #expect(fromA.paymentAcks == acksBefore, "node 0 acknowledged a payment it could not store")
        #expect(!fromA.errors.isEmpty)
        let stored = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(stored == storedByB)
        let audit = bed.serverStore.claimAudit
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(bed.serverStore.claimHolder(of: opened.contractTxid)?.nodeID == "node-1")
    }

    @Test("a node that wakes after its lease lapsed drops the connections of the channels it lost")
    func wakingNodeDropsLostChannels() async throws {
        let bed = try await ClusterTestbed()
        let (first, sessionA, _) = try await bed.connect(to: 0)
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(1_000))
        bed.pause(0)
        try await bed.advance(by: ClusterTestbed.lease + 1)
        // Nobody took the channel, but the lease lapsed: node 0's heartbeat finds it lost.
        #expect(bed.serverStore.claimHolder(of: opened.contractTxid) == nil)
        bed.resume(0)
        try await eventually("node 0 closed the connection") { sessionA.isEnded }
        await #expect(throws: ClientSessionError.self) { try await first.pay(Self.sats(1_000)) }
    }

    @Test("a resume waits for the node serving the channel, then is told to retry, and the client keeps its channel")
    func resumeWaitsThenErrors() async throws {
        let bed = try await ClusterTestbed()
        let (first, _, pipeA) = try await bed.connect(to: 0, closeIsLost: true)
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(1_000))
        // The client loses its connection; node 0 still serves the channel and keeps renewing.
        first.connectionClosed()
        try await eventually("the client session ended") { first.isEnded }
        let fromB = MessageLog()
        let (second, _, _) = try await bed.connect(to: 1, received: fromB)
        let resume = Task { () -> ClientSessionError? in
            do throws(ClientSessionError) {
                _ = try await second.open(value: Self.sats(500_000))
                return nil
            } catch {
                return error
            }
        }
        try await bed.advance(by: ClusterTestbed.lease + bed.nodes[1].manager.config.claimWaitMargin + 2)
        let failure = await resume.value
        #expect(failure != nil)
        #expect(fromB.errors.count == 1)
        #expect(!fromB.all.contains { if case .initiate = $0 { true } else { false } }, "a new channel was offered")
        let channels = try await bed.client.channels()
        #expect(channels.count == 1 && channels.first?.state == .open)

        // Once node 0's connection ends, node 1 resumes the channel at once.
        pipeA.cut()
        try await eventually("node 0 released its claim") {
            bed.serverStore.claimHolder(of: opened.contractTxid) == nil
        }
        let (third, _, _) = try await bed.connect(to: 1)
        let resumed = try await third.open(value: Self.sats(500_000))
        #expect(resumed.resumed && resumed.contractTxid == opened.contractTxid)
        #expect(try await bed.client.channels().count == 1)
    }

    @Test("an expiring channel is settled once, by a node that did not serve it when that node is paused")
    func settledOnceAcrossNodes() async throws {
        let bed = try await ClusterTestbed()
        let (session, _, pipe) = try await bed.connect(to: 0)
        let opened = try await session.open(value: Self.sats(400_000))
        try await session.pay(Self.sats(5_000))
        pipe.cut()
        try await eventually("the client session ended") { session.isEnded }
        // Node 1 learns of the channel by its rescan.
        try await bed.advance(by: bed.nodes[1].manager.config.clusterRescanInterval + 1)
        bed.pause(0)
        let margin = bed.nodes[0].manager.config.channel.expirySettlementMargin
        bed.jump(to: opened.expiry - margin)
        try await eventually("node 1 settled") {
            try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.state == .settled
        }
        bed.resume(0)
        try await bed.advance(by: ClusterTestbed.lease)
        #expect(bed.settlementBroadcasts == ["node-1"])
        let audit = bed.serverStore.claimAudit
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(audit.grants.filter { $0.contractTxid == opened.contractTxid }.count >= 2)
    }
}
