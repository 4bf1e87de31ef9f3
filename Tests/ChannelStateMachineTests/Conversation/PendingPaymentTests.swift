import BitcoinPrimitives
import ChannelStateMachine
import Testing

@Suite("A payment begun now and signed later")
struct PendingPaymentTests {
    /// Two harnesses with the same keys and an open channel: the same contract, so the same
    /// payment transactions.
    private func openPair(_ selector: VersionSelector) throws -> (ConversationHarness, ConversationHarness, Hash256) {
        let inline = ConversationHarness(version: selector)
        let deferred = ConversationHarness(version: selector)
        let txid = try inline.openChannel(expecting: selector == .v1 ? .v1 : .v2)
        #expect(try deferred.openChannel(expecting: selector == .v1 ? .v1 : .v2) == txid)
        return (inline, deferred, txid)
    }

    @Test(
        "beginPayment then signedUpdate makes the effects and the state pay() makes",
        arguments: [VersionSelector.v1, .v2])
    func sameAsPay(selector: VersionSelector) throws {
        let (inline, deferred, txid) = try openPair(selector)
        // The last amount leaves dust, so everything is paid: SIGHASH_NONE|ANYONECANPAY.
        let left = try #require(inline.client.record?.valueLeft)
        let amounts = [sat(1), sat(700), sat(5_432), try left.subtracting(sat(6_133 + 100))]
        for (index, amount) in amounts.enumerated() {
            let info: [UInt8]? = index == 2 ? Array("coffee".utf8) : nil
            let effects = try inline.client.pay(amount, info: info)
            let pending = try deferred.client.beginPayment(amount, info: info)
            #expect(pending.contractTxid == txid)
            // The machine has accounted for it before anything is signed.
            #expect(deferred.client.record?.valueLeft == pending.change)
            #expect(deferred.client.paymentsInFlight == inline.client.paymentsInFlight)
            guard effects.count == 2, case .persist(let persisted) = effects[0], case .send(let sent) = effects[1]
            else {
                Issue.record("pay() returned \(effects)")
                return
            }
            #expect(persisted == pending.balanceUpdate)
            let signed = pending.signedUpdate()
            #expect(signed.encoded() == sent.encoded())
            // Signing again gives the same bytes (RFC 6979): a second signer never disagrees.
            #expect(pending.signedUpdate().encoded() == sent.encoded())
            inline.runClient(effects)
            deferred.runClient([.persist(pending.balanceUpdate), .send(signed)])
            inline.deliverAll()
            deferred.deliverAll()
        }
        // The last payment emptied the channel (and the server then closed it).
        #expect(deferred.clientStore[txid]?.valueLeft == .zero)
        #expect(inline.clientStore[txid]?.valueLeft == .zero)
        #expect(deferred.serverStore[txid]?.bestValueToServer == inline.serverStore[txid]?.bestValueToServer)
        #expect(deferred.serverPayments.map(\.total) == inline.serverPayments.map(\.total))
        deferred.checkBalances(txid: txid)
    }

    @Test("beginPayment refuses what pay() refuses, and changes nothing then")
    func refusals() throws {
        let h = ConversationHarness(version: .v2)
        #expect(throws: PaymentError.channelNotOpen) { try h.client.beginPayment(sat(1_000)) }
        _ = try h.openChannel(expecting: .v2)
        let left = try #require(h.client.record?.valueLeft)
        #expect(throws: PaymentError.zeroAmount) { try h.client.beginPayment(.zero) }
        #expect(throws: PaymentError.insufficientValue(available: left)) {
            try h.client.beginPayment(try left.adding(sat(1)))
        }
        #expect(h.client.record?.valueLeft == left)
        #expect(h.client.paymentsInFlight == 0)
    }
}
