import BitcoinPrimitives
import Testing

/// Every template built and recognised, and near misses that must not be.
@Suite struct ScriptTemplateTests {
    private static func key(_ label: String, compressed: Bool = true) throws -> PublicKey {
        try PrivateKey(secretBytes: Hashing.sha256(Array(label.utf8)), compressed: compressed).publicKey
    }

    /// A 33-byte string with a valid prefix whose x coordinate is not on the curve.
    private static func offCurveKey() throws -> [UInt8] {
        let candidates = (UInt8(1)...255).lazy.map { [0x02] + [UInt8](repeating: $0, count: 32) }
        return try #require(candidates.first { (try? PublicKey(bytes: $0)) == nil })
    }

    private let hash20 = [UInt8](0..<20)
    private let hash32 = [UInt8](100..<132)

    // MARK: Built and recognised

    @Test func payToPublicKeyHash() throws {
        let key = try Self.key("p2pkh")
        let script = Script.p2pkh(publicKey: key)
        #expect(script.bytes == [0x76, 0xa9, 0x14] + key.hash160 + [0x88, 0xac])
        #expect(script.template == .p2pkh(hash160: key.hash160))
        #expect(try Script.p2pkh(hash160: hash20).template == .p2pkh(hash160: hash20))
        #expect(throws: ScriptTemplateError.invalidHashLength(expected: 20, actual: 19)) {
            try Script.p2pkh(hash160: Array(hash20.dropLast()))
        }
    }

    @Test func payToScriptHash() throws {
        let redeem = Script(bytes: [0x51])
        let script = Script.p2sh(redeemScript: redeem)
        #expect(script.bytes == [0xa9, 0x14] + Hashing.hash160([0x51]) + [0x87])
        #expect(script.template == .p2sh(hash160: Hashing.hash160([0x51])))
        #expect(try Script.p2sh(hash160: hash20).template == .p2sh(hash160: hash20))
        #expect(throws: ScriptTemplateError.invalidHashLength(expected: 20, actual: 32)) {
            try Script.p2sh(hash160: hash32)
        }
    }

    @Test func segwitVersionZero() throws {
        let key = try Self.key("p2wpkh")
        #expect(Script.p2wpkh(publicKey: key).bytes == [0x00, 0x14] + key.hash160)
        #expect(Script.p2wpkh(publicKey: key).template == .p2wpkh(hash160: key.hash160))
        #expect(try Script.p2wpkh(hash160: hash20).template == .p2wpkh(hash160: hash20))
        let witnessScript = Script(bytes: [0x51])
        #expect(Script.p2wsh(witnessScript: witnessScript).bytes == [0x00, 0x20] + Hashing.sha256([0x51]))
        #expect(Script.p2wsh(witnessScript: witnessScript).template == .p2wsh(sha256: Hashing.sha256([0x51])))
        #expect(try Script.p2wsh(sha256: hash32).template == .p2wsh(sha256: hash32))
        #expect(throws: ScriptTemplateError.invalidHashLength(expected: 32, actual: 20)) {
            try Script.p2wsh(sha256: hash20)
        }
        #expect(throws: ScriptTemplateError.invalidHashLength(expected: 20, actual: 32)) {
            try Script.p2wpkh(hash160: hash32)
        }
        #expect(
            Script.p2wpkh(publicKey: key).template.witnessProgram
                == (try WitnessProgram(version: 0, program: key.hash160)))
    }

    @Test func witnessProgramsOfEveryVersionAndLength() throws {
        for version in UInt8(1)...16 {
            for length in [2, 20, 32, 33, 40] {
                let program = [UInt8](repeating: version, count: length)
                let witness = try WitnessProgram(version: version, program: program)
                let script = witness.scriptPubKey
                #expect(script.bytes == [0x50 + version, UInt8(length)] + program)
                #expect(script.template == .witnessProgram(version: version, program: program))
                #expect(script.template.witnessProgram == witness)
                #expect(WitnessProgram(scriptPubKey: script) == witness)
            }
        }
        #expect(throws: ScriptTemplateError.invalidWitnessVersion(17)) {
            try WitnessProgram(version: 17, program: hash20)
        }
        for length in [0, 1, 41] {
            #expect(throws: ScriptTemplateError.invalidWitnessProgramLength(version: 1, length: length)) {
                try WitnessProgram(version: 1, program: [UInt8](repeating: 1, count: length))
            }
        }
        for length in [2, 19, 21, 31, 33, 40] {
            #expect(throws: ScriptTemplateError.self) {
                try WitnessProgram(version: 0, program: [UInt8](repeating: 1, count: length))
            }
        }
    }

    @Test func nullData() throws {
        let cases: [[[UInt8]]] = [
            [], [[]], [[5]], [[0x81]], [[0x80]], [Array("paychan".utf8)], [[UInt8](repeating: 7, count: 80)],
            [[UInt8](repeating: 8, count: 300)], [[1], [16], [17], []],
        ]
        for pushes in cases {
            let script = Script.nullData(pushes)
            #expect(script.bytes.first == 0x6a)
            #expect(script.template == .nullData(pushes: pushes))
        }
        #expect(Script.nullData([[5]]).bytes == [0x6a, 0x55])
        #expect(Script.nullData([[0x81]]).bytes == [0x6a, 0x4f])
        #expect(Script(bytes: [0x6a]).template == .nullData(pushes: []))
    }

    @Test func multisigOfEverySize() throws {
        var keys: [PublicKey] = []
        for n in 1...16 {
            keys.append(try Self.key("multisig \(n)", compressed: n % 3 != 0))
            for m in 1...n {
                let script = try Script.multisig(required: m, keys: keys)
                #expect(script.bytes.first == 0x50 + UInt8(m))
                #expect(script.bytes.suffix(2) == [0x50 + UInt8(n), 0xae])
                #expect(script.template == .multisig(required: m, keys: keys))
            }
        }
        let two = Array(keys.prefix(2))
        for (m, count) in [(0, 2), (3, 2), (-1, 2), (1, 0), (0, 0)] {
            #expect(throws: ScriptTemplateError.invalidMultisig(required: m, keys: count)) {
                try Script.multisig(required: m, keys: Array(two.prefix(count)))
            }
        }
        #expect(throws: ScriptTemplateError.invalidMultisig(required: 1, keys: 17)) {
            try Script.multisig(required: 1, keys: keys + [keys[0]])
        }
    }

    @Test func channelV2AtEveryExpiryEncodingSize() throws {
        let server = try Self.key("server")
        let client = try Self.key("client", compressed: false)
        let expiries: [Int64] = [
            0, 1, 16, 17, 127, 128, 255, 256, 32767, 32768, 499_999_999, 500_000_000, 1_767_311_940, 0x7fff_ffff,
            0x8000_0000, Int64(UInt32.max),
        ]
        for expiry in expiries {
            let script = try Script.channelV2(server: server, client: client, expiry: expiry)
            #expect(script.template == .channelV2(server: server, client: client, expiry: expiry))
            #expect(Script.p2sh(redeemScript: script).template == .p2sh(hash160: Hashing.hash160(script.bytes)))
        }
        // Small expiries use the small-number opcodes, as bitcoinj's ScriptBuilder does.
        #expect(try Script.channelV2(server: server, client: client, expiry: 0).bytes[37] == 0x00)
        #expect(try Script.channelV2(server: server, client: client, expiry: 16).bytes[37] == 0x60)
        #expect(try Script.channelV2(server: server, client: client, expiry: 17).bytes[37...38] == [0x01, 0x11])
        for expiry in [-1, Int64(UInt32.max) + 1, Int64.max, Int64.min] {
            #expect(throws: ScriptTemplateError.expiryOutOfRange(expiry)) {
                try Script.channelV2(server: server, client: client, expiry: expiry)
            }
        }
    }

    // MARK: Near misses

    @Test func hashTemplatesWithNonMinimalPushesOrWrongSizes() {
        let h = hash20
        let misses: [[UInt8]] = [
            [0x76, 0xa9, 0x4c, 0x14] + h + [0x88, 0xac],  // PUSHDATA1 for the key hash
            [0x76, 0xa9, 0x13] + h.dropLast() + [0x88, 0xac],  // 19-byte hash
            [0x76, 0xa9, 0x15] + h + [0x00, 0x88, 0xac],  // 21-byte hash
            [0x76, 0xa9, 0x14] + h + [0x88, 0xac, 0x61],  // trailing OP_NOP
            [0x76, 0xa9, 0x14] + h + [0x88, 0xad],  // CHECKSIGVERIFY
            [0xa9, 0x4c, 0x14] + h + [0x87],  // PUSHDATA1 for the script hash
            [0xa9, 0x14] + h + [0x88],  // EQUALVERIFY
            [0xa9, 0x14] + h + [0x87, 0x87],  // extra op
            [0x00, 0x4c, 0x14] + h,  // PUSHDATA1 program
            [0x00, 0x15] + h + [0],  // v0 with 21 bytes
            [0x00, 0x1f] + hash32.dropLast(),  // v0 with 31 bytes
            [0x51, 0x01, 0x01],  // 1-byte program
            [0x51, 0x29] + [UInt8](repeating: 1, count: 41),  // 41-byte program
            [0x4f, 0x14] + h,  // OP_1NEGATE as version
            [0x50, 0x14] + h,  // OP_RESERVED as version
            [0x51, 0x14] + h + [0x61],  // trailing op after a program
            [0x51, 0x14] + h.dropLast(),  // truncated program
            [],
        ]
        for bytes in misses {
            #expect(Script(bytes: bytes).template == .nonStandard, "\(bytes.hex)")
        }
    }

    @Test func nullDataNearMisses() {
        let misses: [[UInt8]] = [
            [0x6a, 0x01, 0x05],  // 5 pushed as data instead of OP_5
            [0x6a, 0x4c, 0x03, 1, 2, 3],  // PUSHDATA1 for 3 bytes
            [0x6a, 0x01],  // truncated push
            [0x6a, 0x76],  // a non-push operation
            [0x6a, 0x50],  // OP_RESERVED
            [0x00, 0x6a],  // OP_RETURN not first
        ]
        for bytes in misses {
            #expect(Script(bytes: bytes).template == .nonStandard, "\(bytes.hex)")
        }
    }

    @Test func multisigNearMisses() throws {
        let a = try Self.key("a").bytes
        let b = try Self.key("b").bytes
        let u = try Self.key("u", compressed: false).bytes
        var hybrid = u
        hybrid[0] = 0x06 | (u[64] & 1)
        let offCurve = try Self.offCurveKey()
        func push(_ k: [UInt8]) -> [UInt8] { [UInt8(k.count)] + k }
        #expect(Script(bytes: [0x52] + push(a) + push(b) + [0x52, 0xae]).template != .nonStandard)
        #expect(Script(bytes: [0x51] + push(u) + [0x51, 0xae]).template != .nonStandard)
        let misses: [[UInt8]] = [
            [0x53] + push(a) + push(b) + [0x52, 0xae],  // m > n
            [0x52] + push(a) + push(b) + [0x53, 0xae],  // n does not count the keys
            [0x00] + push(a) + push(b) + [0x52, 0xae],  // m = 0
            [0x01, 0x02] + push(a) + push(b) + [0x52, 0xae],  // m pushed as data
            [0x52] + push(a) + push(b) + [0x01, 0x02, 0xae],  // n pushed as data
            [0x52] + push(a) + push(b) + [0x52, 0xaf],  // CHECKMULTISIGVERIFY
            [0x52] + push(a) + push(b) + [0x52, 0xae, 0x61],  // trailing op
            [0x52] + push(a) + push(b) + [0x52],  // no CHECKMULTISIG
            [0x52] + push(a) + push(Array(b.dropLast())) + [0x52, 0xae],  // 32-byte key
            [0x52] + push(a) + push(b + [0]) + [0x52, 0xae],  // 34-byte key
            [0x52] + push(a) + push(offCurve) + [0x52, 0xae],  // not on the curve
            [0x51] + push(hybrid) + [0x51, 0xae],  // hybrid encoding
            [0x52] + push(a) + [0x4c, 0x21] + b + [0x52, 0xae],  // PUSHDATA1 key
            [0x52] + push(a) + [0x76] + [0x52, 0xae],  // an opcode where a key goes
            [0x51, 0x51, 0xae],  // no keys
        ]
        for bytes in misses {
            #expect(Script(bytes: bytes).template == .nonStandard, "\(bytes.hex)")
        }
        #expect(throws: KeyError.invalidPublicKey) { try PublicKey(bytes: hybrid) }
    }

    @Test func channelV2NearMisses() throws {
        let server = try Self.key("server").bytes
        let client = try Self.key("client").bytes
        func channel(
            first: UInt8 = 0x63, server: [UInt8] = server, verify: UInt8 = 0xad,
            expiry: [UInt8] = [0x04, 0x44, 0x0a, 0x57, 0x69],
            cltv: UInt8 = 0xb1, client: [UInt8] = client, tail: [UInt8] = []
        ) -> Script {
            Script(
                bytes: [first, UInt8(server.count)] + server + [verify, 0x67] + expiry + [cltv, 0x75, 0x68]
                    + [UInt8(client.count)] + client + [0xac] + tail)
        }
        #expect(channel().template != .nonStandard)
        let misses: [Script] = [
            channel(first: 0x64),  // OP_NOTIF
            channel(verify: 0xac),  // CHECKSIG for the server
            channel(cltv: 0xb2),  // CHECKSEQUENCEVERIFY
            channel(tail: [0x61]),  // trailing op
            channel(expiry: [0x05, 0x44, 0x0a, 0x57, 0x69, 0x00]),  // non-minimal number
            channel(expiry: [0x01, 0x00]),  // zero as a one-byte push
            channel(expiry: [0x01, 0x05]),  // 5 pushed as data instead of OP_5
            channel(expiry: [0x4c, 0x04, 0x44, 0x0a, 0x57, 0x69]),  // PUSHDATA1
            channel(expiry: [0x06, 1, 2, 3, 4, 5, 6]),  // 6-byte number
            channel(expiry: [0x05, 0x00, 0x00, 0x00, 0x00, 0x01]),  // above UInt32.max
            channel(expiry: [0x04, 0x44, 0x0a, 0x57, 0xe9]),  // negative
            channel(expiry: [0x4f]),  // OP_1NEGATE
            channel(expiry: [0x76]),  // not a number at all
            channel(server: Array(server.dropLast())),  // 32-byte key
            channel(client: server + [1]),  // 34-byte key
            channel(client: try Self.offCurveKey()),  // not on the curve
        ]
        for script in misses {
            #expect(script.template == .nonStandard, "\(script.bytes.hex)")
        }
    }

    /// Every built template, cut short or extended by one operation, is no longer that template.
    @Test func truncatedAndExtendedTemplatesAreNotRecognised() throws {
        let server = try Self.key("server")
        let client = try Self.key("client")
        let scripts: [Script] = [
            Script.p2pkh(publicKey: client), Script.p2sh(redeemScript: .empty), Script.p2wpkh(publicKey: client),
            Script.p2wsh(witnessScript: .empty), try WitnessProgram(version: 1, program: hash32).scriptPubKey,
            Script.channelV1(client: client, server: server),
            try Script.channelV2(server: server, client: client, expiry: 1_767_311_940),
            Script.nullData([hash20]),
        ]
        for script in scripts {
            let template = script.template
            #expect(template != .nonStandard)
            for cut in 1..<script.count {
                #expect(Script(bytes: Array(script.bytes.dropLast(cut))).template != template)
                #expect(Script(bytes: Array(script.bytes.dropFirst(cut))).template != template)
            }
            #expect(Script(bytes: script.bytes + [0x61]).template == .nonStandard)
            #expect(Script(bytes: [0x61] + script.bytes).template == .nonStandard)
        }
    }
}
