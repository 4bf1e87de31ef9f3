import BitcoinPrimitives
import Testing

/// Seeded random and mutated input for the script parser, the template recogniser, the
/// address and extended-key parsers: thousands of cases, none may trap, and what is recognised
/// must be exact.
@Suite struct HostileInputTests {
    // MARK: Scripts

    /// Rebuilds the script a template describes, with the builders.
    private static func rebuild(_ template: ScriptTemplate) throws -> Script? {
        switch template {
        case .p2pkh(let hash): return try Script.p2pkh(hash160: hash)
        case .p2sh(let hash): return try Script.p2sh(hash160: hash)
        case .p2wpkh(let hash): return try Script.p2wpkh(hash160: hash)
        case .p2wsh(let hash): return try Script.p2wsh(sha256: hash)
        case .witnessProgram(let version, let program):
            return try WitnessProgram(version: version, program: program).scriptPubKey
        case .nullData(let pushes): return Script.nullData(pushes)
        case .multisig(let required, let keys): return try Script.multisig(required: required, keys: keys)
        case .channelV2(let server, let client, let expiry):
            return try Script.channelV2(server: server, client: client, expiry: expiry)
        case .nonStandard: return nil
        }
    }

    /// Checks the recogniser on `script`: no trap, and whatever it recognises rebuilds to the
    /// same bytes (so recognition is exact).
    private static func checkRecognition(_ script: Script) throws -> ScriptTemplate {
        _ = try? script.operations()
        _ = script.description
        _ = script.isPushOnly
        let template = script.template
        if let rebuilt = try rebuild(template) {
            #expect(rebuilt == script, "\(template) from \(script.bytes.hex)")
        }
        if let address = try? Address(scriptPubKey: script, network: .mainnet) {
            #expect(address.scriptPubKey == script)
            #expect(try Address(address.string, network: .mainnet) == address)
        }
        return template
    }

    private static func randomBytes(_ count: Int, using generator: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func randomByteStringsAsScripts() throws {
        var generator = SplitMix64(seed: 0x5c21_9701)
        // Bytes biased toward the opcodes templates use, so some random scripts come close.
        let interesting: [UInt8] = [
            0x00, 0x14, 0x20, 0x21, 0x41, 0x4c, 0x4d, 0x4e, 0x4f, 0x51, 0x52, 0x60, 0x63, 0x67, 0x68, 0x6a, 0x75, 0x76,
            0x87, 0x88, 0xa9, 0xac, 0xad, 0xae, 0xb1,
        ]
        for _ in 0..<6000 {
            let count = Int.random(in: 0...120, using: &generator)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
            }
            _ = try Self.checkRecognition(Script(bytes: bytes))
        }
    }

    @Test func mutatedTemplatesAsScripts() throws {
        var generator = SplitMix64(seed: 0x5c21_9702)
        let keys = try (0..<4).map { i in
            try PrivateKey(secretBytes: Hashing.sha256(Array("fuzz \(i)".utf8)), compressed: i != 3).publicKey
        }
        let seeds: [Script] = [
            Script.p2pkh(publicKey: keys[0]), Script.p2sh(redeemScript: .empty), Script.p2wpkh(publicKey: keys[1]),
            Script.p2wsh(witnessScript: .empty),
            try WitnessProgram(version: 1, program: [UInt8](repeating: 9, count: 32)).scriptPubKey,
            Script.nullData([[1, 2, 3], [], [7]]), Script.channelV1(client: keys[0], server: keys[1]),
            try Script.multisig(required: 2, keys: keys),
            try Script.channelV2(server: keys[2], client: keys[3], expiry: 1_767_311_940),
            try Script.channelV2(server: keys[0], client: keys[1], expiry: 16),
        ]
        var recognised = 0
        for seed in seeds {
            // Every prefix.
            for length in 0..<seed.count {
                _ = try Self.checkRecognition(Script(bytes: Array(seed.bytes.prefix(length))))
            }
            // Random single and double mutations: flip, replace, insert, delete.
            for _ in 0..<600 {
                var bytes = seed.bytes
                for _ in 0..<Int.random(in: 1...2, using: &generator) {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                    case 1: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                    case 2: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                    default: if bytes.count > 1 { bytes.remove(at: index) }
                    }
                }
                if try Self.checkRecognition(Script(bytes: bytes)) != .nonStandard { recognised += 1 }
            }
        }
        // Hash and program bytes may change freely, so many mutants are still standard.
        #expect(recognised > 500)
    }

    // MARK: Strings

    private static let alphabets: [[Character]] = [
        Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l1bc"),  // bech32 and its prefixes
        Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),  // base58
        Array("m/0123456789'hH"),  // derivation paths
        Array(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"),
        ["\u{0}", "\u{7f}", "\u{80}", "é", "ß", "€", "\u{10FFFF}", "1", "q", "Q", "\u{301}", "👍", "\n"],
    ]

    private static func randomString(using generator: inout SplitMix64) -> String {
        let alphabet = alphabets.randomElement(using: &generator) ?? alphabets[0]
        let prefix =
            ["", "bc1", "tb1", "bcrt1", "BC1", "xprv", "xpub", "tpub", "m/", "1", "3", "2", "m", "n"]
            .randomElement(using: &generator) ?? ""
        let count = Int.random(in: 0...130, using: &generator)
        return prefix + String((0..<count).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
    }

    /// Feeds `string` to every string parser; none may trap.
    private static func parseEverything(_ string: String) {
        _ = try? Address(string)
        for network in Network.allCases { _ = try? Address(string, network: network) }
        _ = try? Bech32.decode(string)
        _ = try? Bech32.decode(string, maxLength: 1000)
        _ = try? Base58.decode(string)
        _ = try? Base58Check.decode(string)
        _ = try? DerivationPath(string)
        _ = try? ExtendedPrivateKey(serialized: string, network: .mainnet)
        _ = try? ExtendedPublicKey(serialized: string, network: .testnet)
    }

    @Test func randomStrings() {
        var generator = SplitMix64(seed: 0x5c21_9703)
        for _ in 0..<6000 { Self.parseEverything(Self.randomString(using: &generator)) }
        // Long inputs are refused before any quadratic work.
        Self.parseEverything(String(repeating: "z", count: 100_000))
        Self.parseEverything("bc1" + String(repeating: "q", count: 100_000))
        Self.parseEverything("m" + String(repeating: "/1", count: 100_000))
    }

    @Test func mutatedValidAddressesAndKeys() throws {
        var generator = SplitMix64(seed: 0x5c21_9704)
        let master = try ExtendedPrivateKey(seed: [UInt8](repeating: 5, count: 32))
        var valid: [String] = [
            master.serialized(network: .mainnet), master.extendedPublicKey.serialized(network: .testnet),
        ]
        for network in Network.allCases {
            let key = try master.derived(.normal(UInt32(valid.count))).publicKey
            valid += [
                Address.p2pkh(publicKey: key, network: network).string,
                Address.p2sh(redeemScript: .empty, network: network).string,
                Address.p2wpkh(publicKey: key, network: network).string,
                Address.p2wsh(witnessScript: .empty, network: network).string,
                Address(
                    witnessProgram: try WitnessProgram(version: 1, program: key.hash160 + [1, 2]), network: network
                )
                .string,
            ]
        }
        let characters = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l123456789ABCDEFGHJKLMNPQRSTUVWXYZ'/")
        for string in valid {
            var original = Array(string)
            // Every truncation fails.
            for length in 0..<original.count {
                let truncated = String(original.prefix(length))
                Self.parseEverything(truncated)
                #expect((try? Address(truncated)) == nil, "\(truncated)")
            }
            // Single substitutions: bech32 detects every one; base58check nearly every one.
            for _ in 0..<300 {
                let index = Int.random(in: 0..<original.count, using: &generator)
                let replacement = characters.randomElement(using: &generator) ?? "q"
                guard original[index].lowercased() != replacement.lowercased() else { continue }
                let saved = original[index]
                original[index] = replacement
                let mutated = String(original)
                original[index] = saved
                Self.parseEverything(mutated)
                if string.contains("1q") || string.contains("1p") {
                    #expect((try? Address(mutated)) == nil, "\(mutated)")
                }
            }
        }
    }

    // MARK: Round trips

    @Test func randomAddressesRoundTrip() throws {
        var generator = SplitMix64(seed: 0x5c21_9705)
        for _ in 0..<3000 {
            let network = Network.allCases.randomElement(using: &generator) ?? .mainnet
            let address: Address
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                address = try Address(
                    scriptPubKey: try Script.p2pkh(hash160: Self.randomBytes(20, using: &generator)), network: network)
            case 1:
                address = try Address(
                    scriptPubKey: try Script.p2sh(hash160: Self.randomBytes(20, using: &generator)), network: network)
            default:
                let version = UInt8.random(in: 0...16, using: &generator)
                let length =
                    version == 0
                    ? (Bool.random(using: &generator) ? 20 : 32) : Int.random(in: 2...40, using: &generator)
                let program = try WitnessProgram(version: version, program: Self.randomBytes(length, using: &generator))
                address = Address(witnessProgram: program, network: network)
            }
            #expect(try Address(address.string, network: network) == address)
            #expect(try Address(scriptPubKey: address.scriptPubKey, network: network) == address)
            #expect(address.string.count <= Bech32.maxLength)
        }
    }

    @Test func randomBech32AndBase58RoundTrip() throws {
        var generator = SplitMix64(seed: 0x5c21_9706)
        let hrpCharacters = Array("abcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?@[]^_`{|}~")
        for _ in 0..<3000 {
            let hrp = String(
                (0..<Int.random(in: 1...10, using: &generator)).map { _ in
                    hrpCharacters.randomElement(using: &generator) ?? "a"
                })
            let values = (0..<Int.random(in: 0...60, using: &generator)).map { _ in
                UInt8.random(in: 0...31, using: &generator)
            }
            let variant: Bech32.Variant = Bool.random(using: &generator) ? .bech32 : .bech32m
            let encoded = try Bech32.encode(humanReadablePart: hrp, values: values, variant: variant)
            let decoded = try Bech32.decode(encoded)
            #expect(decoded.humanReadablePart == hrp && decoded.values == values && decoded.variant == variant)
            #expect(try Bech32.decode(encoded.uppercased()) == decoded)

            let bytes =
                Self.randomBytes(Int.random(in: 0...3, using: &generator), using: &generator).map { _ in UInt8(0) }
                + Self.randomBytes(Int.random(in: 0...80, using: &generator), using: &generator)
            #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
            #expect(try Base58Check.decode(Base58Check.encode(bytes)) == bytes)
        }
    }
}
