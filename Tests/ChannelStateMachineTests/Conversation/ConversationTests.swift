import BitcoinPrimitives
import ChannelStateMachine
import Testing

@Suite("Conversation")
struct ConversationTests {
    /// Open, `count` payments of varied amounts (info on some), close, settle; checks every step.
    private func fullConversation(
        selector: VersionSelector, serverVersions: Set<ProtocolVersion>, expecting version: ProtocolVersion,
        count: Int, seed: UInt64
    ) throws {
        let h = ConversationHarness(version: selector, serverVersions: serverVersions)
        let txid = try h.openChannel(expecting: version)
        var random = ConversationRandom(seed: seed)
        let minPayment = h.serverConfig.minPayment
        var expected: [(amount: Amount, info: [UInt8]?)] = [(minPayment, nil)]
        for index in 0..<count {
            let amount = sat(Int64.random(in: 1...7_000, using: &random))
            let info: [UInt8]? = index % 7 == 3 ? Array("payment \(index)".utf8) : nil
            let paid = try h.pay(amount, info: info)
            #expect(paid == amount)
            expected.append((paid, info))
            h.deliverAll()
        }
        h.checkBalances(txid: txid)
        let acks = h.clientAcks
        let received = h.serverPayments
        try #require(acks.count == count + 1)
        try #require(received.count == count + 1)
        var total = Amount.zero
        for (index, want) in expected.enumerated() {
            total = try total.adding(want.amount)
            #expect(acks[index].amount == want.amount)
            #expect(acks[index].info == want.info)
            #expect(received[index].amount == want.amount)
            #expect(received[index].info == want.info)
            #expect(received[index].total == total)
        }
        #expect(h.clientStore[txid]?.paidToServer == total)
        #expect(h.serverStore[txid]?.bestValueToServer == total)

        h.runClient(h.client.close())
        h.deliverAll()
        try h.checkSettlement(txid: txid)
        #expect(h.clientCloseReasons == [.clientRequestedClose])
        #expect(h.serverCloseReasons == [.clientRequestedClose])
    }

    @Test func v1FullConversation() throws {
        try fullConversation(selector: .v1, serverVersions: [.v1, .v2], expecting: .v1, count: 1000, seed: 1)
    }

    @Test func v2FullConversation() throws {
        try fullConversation(selector: .v2, serverVersions: [.v1, .v2], expecting: .v2, count: 1000, seed: 2)
    }

    @Test func v2AllowV1AgainstV1OnlyServer() throws {
        try fullConversation(selector: .v2AllowV1, serverVersions: [.v1], expecting: .v1, count: 1000, seed: 3)
    }

    @Test func v2AllowV1AgainstV2Server() throws {
        try fullConversation(selector: .v2AllowV1, serverVersions: [.v1, .v2], expecting: .v2, count: 50, seed: 4)
    }

    @Test func v2OnlyAgainstV1OnlyServerRefused() throws {
        let h = ConversationHarness(version: .v2, serverVersions: [.v1])
        h.connect()
        h.deliverAll()
        #expect(!h.client.isOpen)
        #expect(h.client.isClosed && h.server.isClosed)
        #expect(h.clientStore.isEmpty && h.serverStore.isEmpty)
    }

    /// Pay everything: the change rounds to zero below dust, the server settles by itself with
    /// the client's SIGHASH_NONE payment.
    @Test(arguments: [VersionSelector.v1, .v2])
    func exhaustion(selector: VersionSelector) throws {
        let h = ConversationHarness(version: selector, channelValue: 200_000)
        let txid = try h.openChannel(expecting: selector.requested)
        try h.pay(sat(50_000), info: [1, 2, 3])
        h.deliverAll()
        let left = try #require(h.client.record?.valueLeft)
        // Leave a dusty change: the client must round it to zero and pay everything.
        let paid = try h.pay(try left.subtracting(sat(100)))
        #expect(paid == left)
        #expect(h.client.record?.valueLeft == .zero)
        h.deliverAll()
        h.checkBalances(txid: txid)
        #expect(h.serverStore[txid]?.bestValueToServer == sat(200_000))
        let signature = try TransactionSignature(encoded: try #require(h.serverStore[txid]?.bestSignature))
        #expect(signature.sighashType == .noneAnyoneCanPay)
        try h.checkSettlement(txid: txid)
        #expect(h.serverCloseReasons == [.channelExhausted])
        #expect(h.clientCloseReasons == [.serverRequestedClose])
        #expect(h.clientAcks.map(\.amount) == [sat(1000), sat(50_000), left])
        #expect(throws: PaymentError.self) { try h.client.pay(sat(1)) }
    }

    /// Paying exactly the value left also exhausts the channel.
    @Test func exactRemainingValue() throws {
        let h = ConversationHarness(version: .v2, channelValue: 150_000)
        let txid = try h.openChannel(expecting: .v2)
        let left = try #require(h.client.record?.valueLeft)
        try h.pay(left)
        h.deliverAll()
        try h.checkSettlement(txid: txid)
        #expect(h.serverCloseReasons == [.channelExhausted])
    }

    /// Cut the connection after some payments, reopen with fresh machines, go on, close.
    @Test(arguments: [VersionSelector.v1, .v2])
    func reopen(selector: VersionSelector) throws {
        let h = ConversationHarness(version: selector)
        let txid = try h.openChannel(expecting: selector.requested)
        var total = h.serverConfig.minPayment
        for amount in [1_500, 2_700, 999, 10_000] as [Int64] {
            total = try total.adding(try h.pay(sat(amount)))
            h.deliverAll()
        }
        h.cutConnection()
        #expect(h.client.isClosed && h.server.isClosed)
        #expect(h.serverStore[txid]?.state == .open)
        h.checkBalances(txid: txid)
        let stored = try #require(h.clientStore[txid])
        #expect(stored.state == .open)

        h.now += 600
        let fundedBefore = h.fundingOutpoints.count
        h.connect(resuming: stored)
        h.deliverAll()
        #expect(h.client.isOpen)
        #expect(h.fundingOutpoints.count == fundedBefore, "a new channel was funded instead of resuming")
        #expect(h.client.record?.contractTxid == txid)
        #expect(h.server.record?.contractTxid == txid)
        #expect(
            h.clientEvents.contains {
                if case .channelOpened(let t, _, _, _, true) = $0 { return t == txid } else { return false }
            })
        for amount in [3_000, 4_444, 1] as [Int64] {
            total = try total.adding(try h.pay(sat(amount)))
            h.deliverAll()
        }
        h.checkBalances(txid: txid)
        #expect(h.serverStore[txid]?.bestValueToServer == total)
        h.runClient(h.client.close())
        h.deliverAll()
        try h.checkSettlement(txid: txid)
        let settlement = try #require(h.serverSettlement)
        let clientValue = try #require(h.clientStore[txid]?.channelValue)
        #expect(try clientValue.subtracting(total) == h.clientStore[txid]?.valueLeft)
        #expect(settlement.tx.outputs.last?.value == (try total.subtracting(settlement.fee)))
    }

    /// The refund timer: firing it broadcasts contract and refund, and the refund is only
    /// valid from expiry.
    @Test(arguments: [VersionSelector.v1, .v2])
    func refundAfterExpiry(selector: VersionSelector) throws {
        let h = ConversationHarness(version: selector)
        let txid = try h.openChannel(expecting: selector.requested)
        let record = try #require(h.clientStore[txid])
        let timer = ChannelTimer.refundAfterExpiry(contractTxid: txid)
        let at = try #require(h.clientTimers[timer])
        #expect(at > record.expiry)
        h.now = at
        h.runClient(h.client.timerFired(timer, now: h.now))
        #expect(h.clientBroadcasts.suffix(2).map(\.1) == [.contract, .refund])
        let refund = try #require(h.clientBroadcasts.last?.0)
        #expect(UInt64(refund.lockTime) == record.expiry)
        #expect(refund.inputs[0].sequence != TransactionInput.finalSequence)
        h.verifyAllInputs(refund, "refund")
    }
}
