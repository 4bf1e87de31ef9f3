import ChannelStateMachine
import Testing

/// Seeded random and mutated inputs: no trap, and whatever decodes is stable.
@Suite struct RandomInputTests {
    /// Decodes `bytes`; when that succeeds, the message's encoding must decode to the same
    /// message (the encoding itself may differ: unknown fields are dropped, varints shortened).
    private func check(_ bytes: [UInt8], counts: inout [String: Int]) {
        do {
            let message = try ChannelMessage(decoding: bytes)
            let again = try? ChannelMessage(decoding: message.encoded())
            #expect(again == message, "\(bytes.hex)")
            counts["decoded", default: 0] += 1
        } catch {
            #expect(!error.explanation.isEmpty)
            counts["\(error.code)/\(error.reason)", default: 0] += 1
        }
    }

    @Test func randomByteStrings() {
        var generator = SplitMix64(seed: 0x7061_7963_6861_6e01)
        var counts: [String: Int] = [:]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...300, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half of them start like a real envelope, so that they get past the first tag.
            if Bool.random(using: &generator), !bytes.isEmpty {
                bytes.insert(contentsOf: [0x08, UInt8.random(in: 1...11, using: &generator)], at: 0)
            }
            check(bytes, counts: &counts)
        }
        print("random byte strings: 20000, outcomes \(counts.sorted { $0.key < $1.key })")
        #expect(counts.values.reduce(0, +) == 20_000)
    }

    @Test func mutatedRecordedMessages() throws {
        var generator = SplitMix64(seed: 0x7061_7963_6861_6e02)
        let recorded = try Fixtures.allMessages().map(\.bytes)
        var counts: [String: Int] = [:]
        var total = 0
        for _ in 0..<200 {
            for original in recorded {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    guard !bytes.isEmpty else { break }
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                    case 1: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                    case 2: bytes.remove(at: index)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                    }
                }
                check(bytes, counts: &counts)
                total += 1
            }
        }
        print("mutated recorded messages: \(total), outcomes \(counts.sorted { $0.key < $1.key })")
        #expect(counts["decoded", default: 0] > 0)
    }

    /// Random messages with a real envelope and plausible fields: each payload field gets a
    /// random varint, random bytes, or a valid value, so that the field checks are reached.
    @Test func structuredRandomMessages() {
        var generator = SplitMix64(seed: 0x7061_7963_6861_6e03)
        let payloadField: [UInt64: UInt64] = [1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 8: 8, 9: 9, 10: 10, 11: 11]
        let valid: [[UInt8]] = [
            HostileMessages.serverKey, HostileMessages.clientKey, HostileMessages.signature, HostileMessages.contract,
            [UInt8](repeating: 0xab, count: 32), HostileMessages.updatePaymentPayload(),
        ]
        func randomBytes() -> [UInt8] {
            if Int.random(in: 0..<3, using: &generator) == 0 {
                return valid[Int.random(in: 0..<valid.count, using: &generator)]
            }
            return (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
        }
        var counts: [String: Int] = [:]
        for _ in 0..<20_000 {
            let type = UInt64.random(in: 1...12, using: &generator)
            let payload = ProtoWriter.build { writer in
                for number in 1...4 as ClosedRange<UInt64> where Bool.random(using: &generator) {
                    if Bool.random(using: &generator) {
                        writer.varint(
                            number,
                            UInt64.random(in: 0...UInt64.max, using: &generator)
                                >> UInt64.random(in: 0...63, using: &generator))
                    } else {
                        writer.bytes(number, randomBytes())
                    }
                }
            }
            let bytes = ProtoWriter.build {
                $0.varint(1, type)
                if let field = payloadField[type], Int.random(in: 0..<8, using: &generator) != 0 {
                    $0.bytes(field, payload)
                }
            }
            check(bytes, counts: &counts)
        }
        print("structured random messages: 20000, outcomes \(counts.sorted { $0.key < $1.key })")
        #expect(counts["decoded", default: 0] > 100)
    }
}
