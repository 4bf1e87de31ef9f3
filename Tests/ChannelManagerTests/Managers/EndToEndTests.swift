import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

@Suite("Managers end to end over an in-memory pipe")
struct EndToEndTests {
    static let sats = ManagerTestbed.sats

    @Test("open, pay, close and mine the settlement", arguments: [ProtocolVersion.v1, .v2])
    func openPayClose(version: ProtocolVersion) async throws {
        let bed = try await ManagerTestbed(
            versions: [version], selector: version == .v1 ? .v2AllowV1 : .v2)
        let (session, serverSession, _) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(1_000_000))
        #expect(!opened.resumed)
        #expect(opened.value == Self.sats(1_000_000))
        // The initial payment is the server's minimum (1000 sat).
        #expect(opened.valueLeft == Self.sats(999_000))
        for index in 1...20 {
            let receipt = try await session.pay(Self.sats(500), info: Array("item \(index)".utf8))
            #expect(receipt.amount == Self.sats(500))
            #expect(receipt.info == Array("item \(index)".utf8))
        }
        let record = try #require(session.record)
        #expect(record.valueLeft == Self.sats(989_000))
        let serverRecord = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(serverRecord.bestValueToServer == Self.sats(11_000))

        let settlement = try #require(try await session.close())
        await serverSession.waitUntilEnded()
        #expect(bed.chain.mempoolTxids.contains(settlement.txid))
        bed.chain.mine()
        #expect(bed.chain.transactionStatus(of: settlement.txid) == .confirmed(confirmations: 1))
        let clientScript = Script.p2pkh(publicKey: record.clientPublicKey)
        #expect(settlement.outputs.contains { $0.scriptPubKey == clientScript && $0.value == Self.sats(989_000) })
        let toServer = try Amount.sum(settlement.outputs.filter { $0.scriptPubKey == bed.payout }.map(\.value))
        #expect(toServer > Self.sats(10_000) && toServer < Self.sats(11_000))

        let stored = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(stored.state == .settled)
        #expect(stored.settlement == settlement)
        let serverStored = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(serverStored.state == .settled)
    }

    @Test("a cut pipe fails payments in flight; the next connection reopens the channel")
    func reopenAfterCut() async throws {
        let bed = try await ManagerTestbed()
        let (first, _, pipe) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(2_000))
        pipe.cut()
        await first.waitUntilEnded()
        await #expect(throws: ClientSessionError.self) { try await first.pay(Self.sats(1_000)) }

        let (second, serverSession, _) = try await bed.connect()
        let reopened = try await second.open(value: Self.sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
        #expect(reopened.valueLeft == Self.sats(497_000))
        try await second.pay(Self.sats(3_000))
        #expect(serverSession.contractTxid == opened.contractTxid)
        let settlement = try #require(try await second.close())
        bed.chain.mine()
        let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(record.bestValueToServer == Self.sats(6_000))
        #expect(record.settlement == settlement)
    }

    @Test("a channel stored while opening is stored as open once the server resumes it")
    func resumingAnOpeningChannelStoresItOpen() async throws {
        let bed = try await ManagerTestbed()
        let (first, _, pipe) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        pipe.cut()
        await first.waitUntilEnded()
        // As if the process had died before CHANNEL_OPEN reached the client.
        try await bed.clientStore.write([
            .client(.state(contractTxid: opened.contractTxid, .opening, settlement: nil))
        ])
        let (second, _, _) = try await bed.connect()
        #expect(try await second.open(value: Self.sats(500_000)).resumed)
        try await second.pay(Self.sats(1_000))
        let stored = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(stored.state == .open)
    }

    @Test("a channel the server confirmed open is offered before one stored while opening")
    func openChannelsAreOfferedFirst() async throws {
        let bed = try await ManagerTestbed()
        let (first, _, pipe) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(2_000))
        pipe.cut()
        await first.waitUntilEnded()
        // A channel the server never heard of (the process died as its contract was handed
        // over), with more left in it.
        var unknown = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        unknown.contract.lockTime = 1
        unknown.contractTxid = unknown.contract.txid
        unknown.valueLeft = Self.sats(499_000)
        unknown.state = .opening
        try await bed.clientStore.write([.client(.channel(unknown))])

        let (second, _, _) = try await bed.connect()
        let reopened = try await second.open(value: Self.sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
    }

    @Test("a channel the server settled while the client was away is refused once, then never offered again")
    func refusedChannelIsOfferedAfterOpenOnes() async throws {
        let bed = try await ManagerTestbed()
        // Two channels open on both sides: the second opened while the first was held.
        let (first, _, firstPipe) = try await bed.connect()
        let stale = try await first.open(value: Self.sats(500_000))
        let (second, _, secondPipe) = try await bed.connect()
        let genuine = try await second.open(value: Self.sats(500_000))
        #expect(!genuine.resumed && genuine.contractTxid != stale.contractTxid)
        try await second.pay(Self.sats(10_000))
        firstPipe.cut()
        secondPipe.cut()
        await first.waitUntilEnded()
        await second.waitUntilEnded()
        // The server settles the first one (an operator, say) without the client hearing of it;
        // it has more left than the second, so the client offers it first.
        let settled = try await bed.server.settle(contractTxid: stale.contractTxid)
        #expect(settled.state == .settled)

        let (third, _, _) = try await bed.connect()
        let fresh = try await third.open(value: Self.sats(500_000))
        #expect(!fresh.resumed, "the server resumed a channel it settled")
        try #require(try await third.close() != nil)
        await third.waitUntilEnded()
        try await bed.clientStore.waitUntilDurable(bed.clientStore.enqueue([]))
        #expect(try await bed.clientStore.clientChannel(contractTxid: stale.contractTxid)?.state == .refused)

        // The next connection resumes the channel that is still open, not the refused one.
        let (fourth, _, _) = try await bed.connect()
        let reopened = try await fourth.open(value: Self.sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == genuine.contractTxid)
    }

    @Test("a channel stored while opening that the server never heard of does not hide one it holds open")
    func unknownOpeningChannelIsOfferedOnce() async throws {
        let bed = try await ManagerTestbed()
        let (first, _, pipe) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        pipe.cut()
        await first.waitUntilEnded()
        // Both stored while opening (the processes died as the contracts were handed over): the
        // server holds the first open, never heard of the second, which has more left.
        try await bed.clientStore.write([.client(.state(contractTxid: opened.contractTxid, .opening, settlement: nil))])
        var unknown = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        unknown.contract.lockTime = 1
        unknown.contractTxid = unknown.contract.txid
        unknown.valueLeft = Self.sats(499_500)
        try await bed.clientStore.write([.client(.channel(unknown))])

        let (second, _, _) = try await bed.connect()
        #expect(!(try await second.open(value: Self.sats(500_000))).resumed)
        try #require(try await second.close() != nil)
        await second.waitUntilEnded()
        try await bed.clientStore.waitUntilDurable(bed.clientStore.enqueue([]))
        #expect(try await bed.clientStore.clientChannel(contractTxid: unknown.contractTxid)?.state == .refused)

        let (third, _, _) = try await bed.connect()
        let reopened = try await third.open(value: Self.sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
    }

    @Test("a refused channel is still watched at its refund time: a settlement spending it is recorded")
    func refusedChannelIsWatched() async throws {
        let bed = try await ManagerTestbed()
        let (first, _, pipe) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        pipe.cut()
        await first.waitUntilEnded()
        #expect(try await bed.server.settle(contractTxid: opened.contractTxid).state == .settled)
        bed.chain.mine()
        try await bed.clientStore.write([.client(.state(contractTxid: opened.contractTxid, .refused, settlement: nil))])
        bed.clock.advance(to: opened.expiry + bed.client.config.channel.refundMargin)
        await bed.client.refundExpiredChannels()
        #expect(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid)?.state == .settled)
    }

    @Test("pipelined payments are all acknowledged, in order")
    func pipelined() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, _) = try await bed.connect()
        _ = try await session.open(value: Self.sats(2_000_000))
        let receipts = try await withThrowingTaskGroup(of: PaymentReceipt.self) { group in
            for _ in 0..<64 { group.addTask { try await session.pay(Self.sats(1_000)) } }
            var all: [PaymentReceipt] = []
            for try await receipt in group { all.append(receipt) }
            return all
        }
        #expect(receipts.count == 64)
        #expect(Set(receipts.map(\.valueLeft)).count == 64)
        #expect(session.record?.valueLeft == Self.sats(2_000_000 - 1_000 - 64_000))
    }

    @Test("a server ERROR fails the pending open promptly with its code")
    func serverRefusesVersion() async throws {
        let bed = try await ManagerTestbed(versions: [.v1], selector: .v2)
        let (session, _, _) = try await bed.connect()
        do {
            _ = try await session.open(value: Self.sats(1_000_000))
            Issue.record("open should fail")
        } catch {
            guard case .ended(.localError(let channelError)) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(channelError.code == .noAcceptableVersion)
        }
        // The wallet got its coins back: nothing was funded.
        #expect(try await bed.clientStore.clientChannels(serverID: nil, in: [.opening, .open]).isEmpty)
    }
}

/// A server-side connection that loses the server's `CLOSE`, as a bitcoinj server may.
private struct CloseDroppingConnection: ChannelConnection {
    let inner: InMemoryPipe.End

    func send(_ message: [UInt8]) {
        if case .close = try? ChannelMessage(decoding: message) { return }
        inner.send(message)
    }

    func close() { inner.close() }
}

@Suite("Client learns the settlement from the chain")
struct SettlementFromChainTests {
    @Test("a server that settles and hangs up without CLOSE: the client finds the settlement on chain")
    func closeWithoutReply() async throws {
        let bed = try await ManagerTestbed()
        let pipe = InMemoryPipe()
        let serverSession = try await bed.server.accept(CloseDroppingConnection(inner: pipe.serverEnd))
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let session = try bed.client.connect(serverID: "server", connection: pipe.clientEnd)
        pipe.clientEnd.attach(session.receive, closed: session.connectionClosed)
        let opened = try await session.open(value: ManagerTestbed.sats(400_000))
        try await session.pay(ManagerTestbed.sats(7_000))
        let settlement = try #require(try await session.close())
        let serverRecord = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(serverRecord.settlement == settlement)
        let clientRecord = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(clientRecord.state == .settled)
        #expect(clientRecord.settlement == settlement)
    }
}
