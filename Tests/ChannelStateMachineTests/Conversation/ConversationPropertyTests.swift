import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// Random payment sequences between a real client and server machine: random amounts (some
/// leaving dust change, some paying exactly what is left), random pipelining depth, random
/// interleaving of the two directions, random reconnects and closes with payments in flight.
@Suite("Conversation properties")
struct ConversationPropertyTests {
    static let baseSeed: UInt64 = 0x5eed_c0de_2026
    static let runs = 300

    @Test func randomConversationsKeepTheInvariants() throws {
        print("Conversation properties: base seed \(Self.baseSeed), \(Self.runs) runs (seed of run i = base + i)")
        var stats = Stats()
        for run in 0..<Self.runs {
            let seed = Self.baseSeed &+ UInt64(run)
            try oneRun(seed: seed, stats: &stats)
        }
        print("Conversation properties: \(stats)")
        // The runs must reach every interesting path, or the properties say little.
        #expect(stats.exhausted >= 20 && stats.closedWithPaymentsInFlight >= 10 && stats.reconnects >= 10)
        #expect(stats.dustRounded >= 10 && stats.maxInFlight >= 4 && stats.payments >= 3_000)
    }

    struct Stats: CustomStringConvertible {
        var payments = 0
        var exhausted = 0
        var dustRounded = 0
        var closedWithPaymentsInFlight = 0
        var reconnects = 0
        var maxInFlight = 0
        var description: String {
            "\(payments) payments, \(exhausted) exhausted, \(dustRounded) dust-rounded, "
                + "\(closedWithPaymentsInFlight) closed with payments in flight, \(reconnects) reconnects, "
                + "at most \(maxInFlight) in flight"
        }
    }

    private func oneRun(seed: UInt64, stats: inout Stats) throws {
        var random = ConversationRandom(seed: seed)
        let selector: VersionSelector = [.v1, .v2, .v2AllowV1].randomElement(using: &random) ?? .v2
        let channelValue = Int64.random(in: 200_000...3_000_000, using: &random)
        let h = ConversationHarness(version: selector, channelValue: channelValue)
        let txid = try h.openChannel(expecting: selector.requested)
        let context = Comment(rawValue: "seed \(seed), \(selector), channel \(channelValue)")
        var paid: [Amount] = [h.serverConfig.minPayment]
        var exhausted = false
        let steps = Int.random(in: 1...25, using: &random)
        var closedWithPaymentsInFlight = false

        for step in 0..<steps where !exhausted {
            let depth = Int.random(in: 1...6, using: &random)
            for _ in 0..<depth {
                guard let left = h.client.record?.valueLeft, left > .zero else { break }
                let amount = randomAmount(left: left, using: &random)
                let info: [UInt8]? = Bool.random(using: &random) ? [UInt8(step & 0xff), 0x42] : nil
                let signed = try h.pay(amount, info: info)
                #expect(signed >= amount, context)
                #expect(
                    signed == amount || h.client.record?.valueLeft == .zero, "only dust rounding pays more; \(context)")
                paid.append(signed)
                stats.payments += 1
                if signed > amount { stats.dustRounded += 1 }
                stats.maxInFlight = max(stats.maxInFlight, h.client.paymentsInFlight)
                if h.client.record?.valueLeft == .zero { exhausted = true }
            }
            // Deliver part of what is queued, in a random order of directions.
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                if Bool.random(using: &random) { h.deliverOneToServer() } else { h.deliverOneToClient() }
            }
            if !exhausted && step == steps - 1 && Int.random(in: 0..<3, using: &random) == 0 {
                // Close with payments possibly still in flight.
                if h.client.paymentsInFlight > 0 { stats.closedWithPaymentsInFlight += 1 }
                h.runClient(h.client.close())
                closedWithPaymentsInFlight = true
            }
            h.deliverAllRandomly(using: &random)
            if !exhausted && !closedWithPaymentsInFlight && Int.random(in: 0..<10, using: &random) == 0 {
                stats.reconnects += 1
                h.cutConnection()
                h.now += 60
                let stored = try #require(h.clientStore[txid], context)
                h.connect(resuming: stored)
                h.deliverAllRandomly(using: &random)
                #expect(h.client.isOpen, "reopen failed; \(context)")
                #expect(h.client.record?.contractTxid == txid, context)
            }
            h.checkBalances(txid: txid)
        }
        if exhausted { stats.exhausted += 1 }
        if !exhausted && !closedWithPaymentsInFlight {
            h.runClient(h.client.close())
            h.deliverAllRandomly(using: &random)
        }

        // Every ack corresponds to a payment, in order, and the server saw the same amounts.
        let acks = h.clientAcks
        let received = h.serverPayments
        #expect(acks.map(\.amount) == paid, context)
        #expect(received.map(\.amount) == paid, context)
        let ackedTotal = try Amount.sum(acks.map(\.amount))
        #expect(received.last?.total == ackedTotal, context)
        #expect(h.serverStore[txid]?.bestValueToServer == ackedTotal, context)
        #expect(h.clientStore[txid]?.paidToServer == ackedTotal, context)
        // Acknowledged balances only go down.
        let reportedLeft = acks.map(\.valueLeft)
        #expect(zip(reportedLeft, reportedLeft.dropFirst()).allSatisfy { $0 >= $1 }, context)
        // Stored values moved the right way and stayed in range.
        let best = h.serverBestHistory
        #expect(zip(best, best.dropFirst()).allSatisfy { $0 <= $1 }, context)
        #expect(best.allSatisfy { $0 <= sat(channelValue) }, context)
        let left = h.clientValueLeftHistory
        #expect(zip(left, left.dropFirst()).allSatisfy { $0 >= $1 }, context)
        #expect(
            !h.clientEvents.contains { if case .paymentsFailed = $0 { return true } else { return false } }, context)
        try h.checkSettlement(txid: txid)
        #expect(h.serverCloseReasons.last == (exhausted ? .channelExhausted : .clientRequestedClose), context)
    }

    /// Amounts of several kinds: small, large, leaving dust change, exactly what is left.
    private func randomAmount(left: Amount, using random: inout ConversationRandom) -> Amount {
        let value = left.satoshis
        switch Int.random(in: 0..<300, using: &random) {
        case 0:
            return left
        case 1:
            // Leaves a change below the P2PKH dust limit (546 sat): rounded to zero.
            return sat(max(1, value - Int64.random(in: 1...545, using: &random)))
        case 2:
            // Leaves a change just at or above the dust limit.
            return sat(max(1, value - Int64.random(in: 546...700, using: &random)))
        case 3...8:
            return sat(Int64.random(in: 1...max(1, value / 8), using: &random))
        default:
            return sat(Int64.random(in: 1...min(value, 5_000), using: &random))
        }
    }
}
