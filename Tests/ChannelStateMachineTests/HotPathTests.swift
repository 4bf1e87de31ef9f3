import ChannelStateMachine
import Testing

/// UPDATE_PAYMENT and PAYMENT_ACK are decoded and encoded thousands of times a second; this
/// prints the rate (debug build, so only a rough lower bound) and checks it is not absurdly low.
@Suite struct HotPathTests {
    @Test func updatePaymentAndAckRates() throws {
        let update = HostileMessages.updatePayment(info: Array("order-1".utf8))
        let ack = ChannelMessage.paymentAck(PaymentAck(info: Array("order-1".utf8)))
        let rounds = 20_000
        let clock = ContinuousClock()
        var decoded = 0
        let decodeTime = try clock.measure {
            for _ in 0..<rounds {
                if case .updatePayment(let payment) = try ChannelMessage(decoding: update) {
                    decoded += payment.signature.count
                }
            }
        }
        var encodedBytes = 0
        let encodeTime = clock.measure {
            for _ in 0..<rounds { encodedBytes += ack.encoded().count }
        }
        #expect(decoded == rounds * HostileMessages.signature.count)
        #expect(encodedBytes == rounds * 13)
        let perSecond = { (duration: Duration) -> Int in
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return Int(Double(rounds) / max(seconds, 1e-9))
        }
        print(
            "hot path (debug build): UPDATE_PAYMENT decode \(perSecond(decodeTime))/s, PAYMENT_ACK encode \(perSecond(encodeTime))/s"
        )
        #expect(perSecond(decodeTime) > 5_000)
        #expect(perSecond(encodeTime) > 5_000)
    }
}
