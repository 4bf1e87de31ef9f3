import BitcoinPrimitives
import Testing

/// Minimal pushes at every size boundary, and script numbers.
@Suite struct ScriptBuilderTests {
    private func pushed(_ data: [UInt8]) -> [UInt8] {
        var builder = ScriptBuilder()
        builder.push(data)
        return builder.bytes
    }

    @Test func singleBytePushesUseSmallNumberOpcodes() throws {
        #expect(pushed([]) == [0x00])
        for value in UInt8(1)...16 {
            #expect(pushed([value]) == [0x50 + value])
        }
        #expect(pushed([0x81]) == [0x4f])
        for value: UInt8 in [0x00, 0x11, 0x7f, 0x80, 0x82, 0xff] {
            #expect(pushed([value]) == [0x01, value])
        }
    }

    @Test(arguments: [
        (1, [0x01] as [UInt8]), (2, [0x02]), (75, [0x4b]), (76, [0x4c, 76]), (255, [0x4c, 0xff]),
        (256, [0x4d, 0x00, 0x01]), (65535, [0x4d, 0xff, 0xff]), (65536, [0x4e, 0x00, 0x00, 0x01, 0x00]),
    ])
    func pushOpcodeAtSizeBoundary(size: Int, prefix: [UInt8]) throws {
        let data = [UInt8](repeating: 0xab, count: size)
        let bytes = pushed(data)
        #expect(Array(bytes.prefix(prefix.count)) == prefix)
        #expect(bytes.count == prefix.count + size)
        let operations = try Script(bytes: bytes).operations()
        #expect(operations.count == 1)
        #expect(operations.first?.data == data)
        #expect(operations.first?.isMinimalPush == true)
    }

    @Test func nonMinimalPushesAreFlagged() throws {
        let nonMinimal: [[UInt8]] = [
            [0x01, 0x05],  // OP_5
            [0x01, 0x81],  // OP_1NEGATE
            [0x4c, 0x00],  // OP_0
            [0x4c, 0x01, 0x11],  // direct push
            [0x4c, 0x4b] + [UInt8](repeating: 1, count: 75),
            [0x4d, 0x4c, 0x00] + [UInt8](repeating: 1, count: 76),
            [0x4d, 0xff, 0x00] + [UInt8](repeating: 1, count: 255),
            [0x4e, 0x00, 0x01, 0x00, 0x00] + [UInt8](repeating: 1, count: 256),
        ]
        for bytes in nonMinimal {
            let operations = try Script(bytes: bytes).operations()
            #expect(operations.count == 1)
            #expect(operations.first?.isMinimalPush == false, "\(Array(bytes.prefix(4)).hex)")
        }
    }

    @Test func truncatedPushesThrow() {
        for bytes: [UInt8] in [
            [0x01], [0x4b, 1], [0x4c], [0x4c, 2, 1], [0x4d, 1], [0x4d, 1, 0], [0x4e, 1, 0, 0],
            [0x4e, 0xff, 0xff, 0xff, 0xff],
        ] {
            #expect(throws: ParseError.self) { try Script(bytes: bytes).operations() }
        }
    }

    @Test(
        arguments: [
            (0, ""), (1, "01"), (-1, "81"), (127, "7f"), (-127, "ff"), (128, "8000"), (-128, "8080"), (255, "ff00"),
            (-255, "ff80"), (256, "0001"), (32767, "ff7f"), (32768, "008000"), (-32768, "008080"),
            (1_767_311_940, "440a5769"), (-1_767_311_940, "440a57e9"), (Int64(Int32.max), "ffffff7f"),
            (Int64(UInt32.max), "ffffffff00"), (549_755_813_887, "ffffffff7f"), (Int64.max, "ffffffffffffff7f"),
            (-Int64.max, "ffffffffffffffff"),
        ] as [(Int64, String)])
    func scriptNumberEncodings(value: Int64, hex: String) throws {
        let encoded = ScriptNumber.encode(value)
        #expect(encoded.hex == hex)
        #expect(try ScriptNumber.decode(encoded, maxLength: 8) == value)
        var builder = ScriptBuilder()
        builder.push(number: value)
        let operation = try #require(try builder.script.operations().first)
        #expect(operation.isMinimalPush)
        if let small = operation.opcode.smallIntegerValue {
            #expect(Int64(small) == value)
        } else {
            #expect(operation.data == encoded)
        }
    }

    @Test func scriptNumberRoundTripsAcrossTheRange() throws {
        var generator = SplitMix64(seed: 0x5c21_9700)
        for _ in 0..<5000 {
            let bits = Int64.random(in: 0...62, using: &generator)
            let magnitude = Int64.random(in: 0...(Int64(1) << bits), using: &generator)
            for value in [magnitude, -magnitude] {
                let encoded = ScriptNumber.encode(value)
                #expect(try ScriptNumber.decode(encoded, maxLength: 8) == value)
            }
        }
    }

    @Test func scriptNumberDecodingRefusesNonMinimalAndLongEncodings() throws {
        for bytes: [[UInt8]] in [[[0x00]], [[0x80]], [[0x05, 0x00]], [[0x05, 0x80]], [[0xff, 0x00, 0x00]]] {
            for encoded in bytes {
                #expect(throws: ParseError.self) { try ScriptNumber.decode(encoded) }
                #expect(throws: Never.self) { try ScriptNumber.decode(encoded, requireMinimal: false) }
            }
        }
        #expect(try ScriptNumber.decode([0x00], requireMinimal: false) == 0)
        #expect(try ScriptNumber.decode([0x05, 0x80], requireMinimal: false) == -5)
        #expect(throws: ParseError.self) { try ScriptNumber.decode([1, 2, 3, 4, 5]) }
        #expect(
            try ScriptNumber.decode([0x44, 0x0a, 0x57, 0x69, 0x00], maxLength: 5, requireMinimal: false)
                == 1_767_311_940)
        #expect(throws: ParseError.self) { try ScriptNumber.decode([UInt8](repeating: 1, count: 9), maxLength: 9) }
    }
}
