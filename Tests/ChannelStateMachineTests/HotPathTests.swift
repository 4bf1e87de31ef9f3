import ChannelStateMachine
import Testing

/// UPDATE_PAYMENT and PAYMENT_ACK are decoded and encoded for every payment: many rounds of
/// each give the same result every time (no state leaks between calls of the codec). Their
/// speed is measured by `paychan bench` (`state-machine-1ch` runs every message through the
/// codec), not here.
@Suite struct HotPathTests {
    @Test("UPDATE_PAYMENT decodes and PAYMENT_ACK encodes the same way 20,000 times in a row")
    func updatePaymentAndAckRepeat() throws {
        let info = Array("order-1".utf8)
        let update = HostileMessages.updatePayment(info: info)
        let ack = ChannelMessage.paymentAck(PaymentAck(info: info))
        let firstAck = ack.encoded()
        #expect(firstAck.count == 13)
        for _ in 0..<20_000 {
            guard case .updatePayment(let payment) = try ChannelMessage(decoding: update) else {
                Issue.record("UPDATE_PAYMENT decoded as another message")
                return
            }
            #expect(payment.signature == HostileMessages.signature)
            #expect(payment.info == info)
            #expect(ack.encoded() == firstAck)
        }
        #expect(try ChannelMessage(decoding: firstAck) == ack)
    }
}
