import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// The client's connection drops while the server's broadcast of the contract or of the
/// settlement is in flight (found by the crash-kill soak: a client SIGKILLed just after asking
/// to close left the server's channel `settling` until the server restarted). The outcome must
/// still be stored, and the machine closes then without sending anything.
@Suite struct BroadcastInFlightTests {
    @Test(arguments: [VersionSelector.v1, .v2])
    func settlementOutcomeIsStoredAfterTheClientLeft(selector: VersionSelector) throws {
        let h = ConversationHarness(version: selector)
        let txid = try h.openChannel(expecting: selector.requested)
        try h.pay(sat(5_000))
        h.deliverAll()
        h.runClient(h.client.close())
        guard case .bytes(let close) = try #require(h.toServer.first) else {
            Issue.record("the client queued no CLOSE")
            return
        }
        h.toServer.removeFirst()
        let effects = h.server.receive(bytes: close, now: h.now)
        let settlement = try #require(Self.broadcast(.settlement, in: effects))
        h.runServer(effects.filter { Self.broadcast(.settlement, in: [$0]) == nil })
        #expect(h.serverStore[txid]?.state == .settling)

        h.runServer(h.server.connectionClosed())  // the client dies
        #expect(!h.server.isClosed, "the machine stopped waiting for its settlement broadcast")
        let completed = h.server.broadcastCompleted(.settlement, succeeded: true, now: h.now)
        h.runServer(completed)
        #expect(h.serverStore[txid]?.state == .settled)
        #expect(h.serverStore[txid]?.settlement == settlement)
        #expect(h.server.isClosed)
        #expect(h.serverEvents.contains { if case .settled = $0 { return true } else { return false } })
        #expect(!completed.contains { if case .send = $0 { return true } else { return false } })
    }

    @Test(arguments: [VersionSelector.v1, .v2])
    func contractOutcomeIsStoredAfterTheClientLeft(selector: VersionSelector) throws {
        let h = ConversationHarness(version: selector)
        h.connect()
        // Deliver everything up to the client's PROVIDE_CONTRACT, which we hand over by hand.
        var contractMessage: [UInt8]?
        while contractMessage == nil, !h.toServer.isEmpty || !h.toClient.isEmpty {
            if case .bytes(let bytes) = h.toServer.first,
                case .provideContract = try ChannelMessage(decoding: bytes)
            {
                h.toServer.removeFirst()
                contractMessage = bytes
            } else if !h.toServer.isEmpty {
                h.deliverOneToServer()
            } else {
                h.deliverOneToClient()
            }
        }
        let bytes = try #require(contractMessage)
        let effects = h.server.receive(bytes: bytes, now: h.now)
        let contract = try #require(Self.broadcast(.contract, in: effects))
        h.runServer(effects.filter { Self.broadcast(.contract, in: [$0]) == nil })
        #expect(h.serverStore[contract.txid]?.state == .opening)

        h.runServer(h.server.connectionClosed())  // the client dies
        #expect(!h.server.isClosed, "the machine stopped waiting for its contract broadcast")
        let completed = h.server.broadcastCompleted(.contract, succeeded: true, now: h.now)
        h.runServer(completed)
        #expect(h.serverStore[contract.txid]?.state == .open, "the channel cannot be resumed")
        #expect(h.server.isClosed)
        #expect(h.serverTimers[.settleBeforeExpiry(contractTxid: contract.txid)] != nil)
        #expect(!completed.contains { if case .send = $0 { return true } else { return false } })
    }

    @Test func failedSettlementBroadcastStaysSettlingAfterTheClientLeft() throws {
        let h = ConversationHarness(version: .v2)
        let txid = try h.openChannel(expecting: .v2)
        h.runClient(h.client.close())
        guard case .bytes(let close) = try #require(h.toServer.first) else { return }
        h.toServer.removeFirst()
        let effects = h.server.receive(bytes: close, now: h.now)
        h.runServer(effects.filter { Self.broadcast(.settlement, in: [$0]) == nil })
        h.runServer(h.server.connectionClosed())
        let completed = h.server.broadcastCompleted(.settlement, succeeded: false, now: h.now)
        h.runServer(completed)
        #expect(h.serverStore[txid]?.state == .settling, "kept for a retry")
        #expect(h.server.isClosed)
        #expect(!completed.contains { if case .send = $0 { return true } else { return false } })
    }

    static func broadcast(_ purpose: BroadcastPurpose, in effects: [ServerEffect]) -> Transaction? {
        for effect in effects {
            if case .broadcast(let tx, let p) = effect, p == purpose { return tx }
        }
        return nil
    }
}
