import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

@Suite("Server manager: takeover, manual close, fee bumps")
struct ServerManagerTests {
    static let sats = ManagerTestbed.sats

    @Test("a new connection resuming a channel in use ends the old connection")
    func takeover() async throws {
        let bed = try await ManagerTestbed()
        let (first, firstServer, _) = try await bed.connect()
        let opened = try await first.open(value: Self.sats(500_000))
        try await first.pay(Self.sats(1_000))
        // The client's manager will not offer a channel another of its sessions holds, so a
        // second client manager over the same store plays the reconnecting client.
        let other = ClientManager(
            config: bed.client.config, store: bed.clientStore, chain: bed.chain, funder: bed.wallet,
            keychain: try ChannelKeychain(seed: [UInt8](repeating: 0xC1, count: 32)), clock: bed.clock)
        let pipe = InMemoryPipe()
        let serverSession = try await bed.server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let second = try other.connect(serverID: "server", connection: pipe.clientEnd)
        pipe.clientEnd.attach(second.receive, closed: second.connectionClosed)
        let reopened = try await second.open(value: Self.sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
        await firstServer.waitUntilEnded()
        #expect(firstServer.isEnded)
        try await second.pay(Self.sats(1_000))
        let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        #expect(record.bestValueToServer == Self.sats(3_000))
    }

    @Test("an operator closes a channel by hand; a connected client gets CLOSE with the settlement")
    func manualClose() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, _) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(500_000))
        try await session.pay(Self.sats(4_000))
        let record = try await bed.server.settle(contractTxid: opened.contractTxid)
        #expect(record.state == .settled)
        let settlement = try #require(record.settlement)
        await session.waitUntilEnded()
        let clientRecord = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(clientRecord.state == .settled)
        #expect(clientRecord.settlement == settlement)
        await #expect(throws: ServerManagerError.self) {
            try await bed.server.settle(contractTxid: opened.contractTxid)
        }
    }

    @Test("a settlement that does not confirm is replaced at a higher fee rate")
    func feeBump() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, pipe) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(500_000))
        try await session.pay(Self.sats(50_000))
        pipe.cut()
        let events = bed.server.events()
        let first = try await bed.server.settle(contractTxid: opened.contractTxid)
        let original = try #require(first.settlement)
        #expect(bed.chain.mempoolTxids.contains(original.txid))

        bed.chain.estimatedFeeRate = try FeeRate(satoshisPerVirtualByte: 20)
        bed.clock.advance(by: bed.server.config.settlementRebroadcastAfter + bed.server.config.chainCheckInterval)
        let bumped = await firstEvent(in: events) { (event: ServerManagerEvent) in
            if case .settlementBumped(let txid, _, _) = event { return txid == opened.contractTxid }
            return false
        }
        #expect(bumped)
        let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
        let replacement = try #require(record.settlement)
        #expect(replacement.txid != original.txid)
        #expect(bed.chain.mempoolTxids.contains(replacement.txid))
        #expect(!bed.chain.mempoolTxids.contains(original.txid))
        #expect(try replacement.totalOutputValue() < original.totalOutputValue())
        // Once mined, nothing more is bumped.
        bed.chain.mine()
        await bed.server.checkChain()
        #expect(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.settlement == replacement)
    }
}

@Suite("Store failures")
struct StoreFailureTests {
    @Test("a server store failure acknowledges nothing more: the pending payment fails with the server's ERROR")
    func serverStoreFails() async throws {
        let bed = try await ManagerTestbed()
        let (session, serverSession, _) = try await bed.connect()
        let opened = try await session.open(value: ManagerTestbed.sats(500_000))
        try await session.pay(ManagerTestbed.sats(1_000))
        let store = try #require(bed.serverStore as? InMemoryChannelStore)
        store.failWrite(afterEnqueues: 1)
        do {
            try await session.pay(ManagerTestbed.sats(1_000))
            Issue.record("the payment was acknowledged although the server could not store it")
        } catch {
            guard case .ended(.remoteError(let code, _)) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(code == .other)
        }
        await serverSession.waitUntilEnded()
        // The failed store refuses everything until it is reopened.
        await #expect(throws: StoreError.self) { try await store.serverChannel(contractTxid: opened.contractTxid) }
        // The client counts the refused payment as signed away all the same.
        let clientRecord = try #require(try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid))
        #expect(clientRecord.paidToServer == ManagerTestbed.sats(3_000))
    }
}

@Suite("Store failures after the conversation ended")
struct StoreFailureAfterEndTests {
    @Test("the client's store fails the write of the settlement it got with CLOSE: close() ends, no hang")
    func clientStoreFailsOnSettlement() async throws {
        let bed = try await ManagerTestbed()
        let (session, _, _) = try await bed.connect()
        let opened = try await session.open(value: ManagerTestbed.sats(500_000))
        try await session.pay(ManagerTestbed.sats(1_000))
        let store = try #require(bed.clientStore as? InMemoryChannelStore)
        // The write that records the settlement comes with the machine's end of the
        // conversation; it fails, and with it everything queued behind it.
        store.failWrite(afterEnqueues: 1)
        let closing = Task { try await session.close() }
        var waited = 0
        while !session.isEnded, waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(session.isEnded, "the session never ended after its store failed")
        guard session.isEnded else { return }
        // close() returns: the settlement it could not record is found on the chain and checked.
        let settlement = try await closing.value
        let serverRecord = try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)
        #expect(settlement != nil)
        #expect(settlement == serverRecord?.settlement)
    }
}

extension StoreFailureAfterEndTests {
    /// What makes the server settle: the client's CLOSE, or the operator's command.
    enum SettleTrigger: String, CaseIterable, Sendable {
        case clientClose = "the client's CLOSE"
        case serverSettle = "settle()"
    }

    @Test(
        "the server's store fails the write of the settled state after the machine ended the conversation: the session ends, the connection closes, no hang",
        arguments: SettleTrigger.allCases)
    func serverStoreFailsOnSettled(trigger: SettleTrigger) async throws {
        let bed = try await ManagerTestbed()
        let (client, server, _) = try await bed.connect()
        let opened = try await client.open(value: ManagerTestbed.sats(500_000))
        try await client.pay(ManagerTestbed.sats(1_000))
        let store = try #require(bed.serverStore as? InMemoryChannelStore)
        // Settling writes twice: `settling` before the broadcast (it succeeds), then `settled`
        // with the machine's end of the conversation (CLOSE, the report, the close). The second
        // fails, and with it everything queued behind it.
        store.failWrite(afterEnqueues: 2)
        let closing: Task<Transaction?, any Error>?
        switch trigger {
        case .clientClose: closing = Task { try await client.close() }
        case .serverSettle:
            #expect(server.settle())
            closing = nil
        }
        var waited = 0
        while !(server.isEnded && client.isEnded), waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(server.isEnded, "the server session never ended after its store failed")
        #expect(client.isEnded, "the server never closed the connection after its store failed")
        guard server.isEnded, client.isEnded else { return }
        // The failed write was the one after the broadcast: the settlement is on the chain, and
        // a client asking to close finds it there (the server could not send it).
        if let closing {
            let settlement = try #require(try await closing.value)
            #expect(settlement.inputs.first?.previousOutput.txid == opened.contractTxid)
        }
        // Nothing waits for the session any more.
        await server.waitUntilEnded()
        await client.waitUntilEnded()
        await bed.server.shutdown()
        await bed.client.shutdown()
    }
}
