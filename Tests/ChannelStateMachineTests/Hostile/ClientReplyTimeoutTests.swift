import BitcoinPrimitives
import ChannelStateMachine
import Testing

@Suite("Client: a server that does not answer")
struct ClientReplyTimeoutTests {
    @Test(
        "the machine waits for an answer exactly while one is due",
        arguments: [
            ClientSetup.started(.v2), .versioned(.v2), .awaitingRefundSignature, .open(.v2, payments: 1),
            .open(.v1, payments: 0),
        ])
    func awaitingReply(setup: ClientSetup) throws {
        var (client, _) = try setup.run()
        switch setup {
        case .open:
            #expect(!client.isAwaitingReply, "an open channel with nothing in flight waits for nothing")
            _ = try client.pay(Honest.amount(1_000))
            #expect(client.isAwaitingReply, "a payment in flight waits for its ack")
            _ = client.receive(.paymentAck(nil), now: Honest.now)
            #expect(!client.isAwaitingReply)
            _ = client.close()
            #expect(client.isAwaitingReply, "CLOSE waits for the settlement")
        default:
            #expect(client.isAwaitingReply)
        }
    }

    @Test("a reply timeout sends ERROR TIMEOUT, fails the payments in flight and keeps the channel")
    func replyTimedOut() throws {
        var (client, _) = try ClientSetup.open(.v2, payments: 2).run()
        _ = try client.pay(Honest.amount(1_000))
        _ = try client.pay(Honest.amount(1_000))
        let effects = client.replyTimedOut("no reply within 1 s")
        guard case .send(.error(let error))? = effects.first else {
            Issue.record("no ERROR first: \(effects)")
            return
        }
        #expect(error.code == .timeout)
        #expect(effects.contains { if case .report(.paymentsFailed(count: 2, _)) = $0 { true } else { false } })
        #expect(effects.contains { if case .closeConnection = $0 { true } else { false } })
        #expect(!effects.contains { if case .persist = $0 { true } else { false } }, "the record is left as stored")
        #expect(client.isClosed)
        #expect(!client.isAwaitingReply)
    }
}
