import BitcoinPrimitives
import Testing

@Suite struct AddressTests {
    /// BIP350, "Test vectors for v0-v16 native segregated witness addresses": valid addresses
    /// and their scriptPubKeys. (The version 0 ones are BIP173's too.)
    static let validSegwit: [(String, String)] = [
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
        (
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
        ),
        (
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
            "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"
        ),
        ("BC1SW50QGDZ25J", "6002751e"),
        ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
        (
            "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
            "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"
        ),
        (
            "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
            "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"
        ),
        (
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        ),
    ]

    @Test func validSegwitAddresses() throws {
        for (string, scriptHex) in Self.validSegwit {
            let address = try Address(string)
            #expect(address.scriptPubKey.bytes.hex == scriptHex, "\(string)")
            #expect(address.string == string.lowercased())
            #expect(address.network == (string.lowercased().hasPrefix("bc") ? .mainnet : .testnet))
            let script = Script(bytes: try #require([UInt8](hex: scriptHex)))
            #expect(try Address(scriptPubKey: script, network: address.network) == address)
        }
    }

    /// BIP350's invalid segwit addresses, with the reason each must give.
    @Test func invalidSegwitAddressesOfBIP350() {
        let cases: [(String, AddressError)] = [
            ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", .unknownHumanReadablePart("tc")),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
                .wrongChecksumVariant(witnessVersion: 1)
            ),
            (
                "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
                .wrongChecksumVariant(witnessVersion: 2)
            ),
            (
                "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
                .wrongChecksumVariant(witnessVersion: 16)
            ),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", .wrongChecksumVariant(witnessVersion: 0)),
            (
                "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
                .wrongChecksumVariant(witnessVersion: 0)
            ),
            ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", .bech32(.invalidCharacter(offset: 59))),
            (
                "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
                .invalidWitnessProgram(.invalidWitnessVersion(17))
            ),
            ("bc1pw5dgrnzv", .invalidWitnessProgram(.invalidWitnessProgramLength(version: 1, length: 1))),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
                .invalidWitnessProgram(.invalidWitnessProgramLength(version: 1, length: 41))
            ),
            (
                "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
                .invalidWitnessProgram(.invalidWitnessProgramLength(version: 0, length: 16))
            ),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", .bech32(.mixedCase)),
            ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", .invalidPadding),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", .invalidPadding),
            ("bc1gmk9yu", .missingWitnessVersion),
        ]
        for (string, error) in cases {
            #expect(throws: error, "\(string)") { try Address(string) }
            for network in Network.allCases {
                #expect(throws: AddressError.self) { try Address(string, network: network) }
            }
        }
    }

    /// BIP173's invalid segwit addresses, and its valid ones of version 1 and later, which
    /// BIP350 made invalid (they carry a bech32 checksum).
    @Test func invalidSegwitAddressesOfBIP173() {
        let cases: [(String, AddressError)] = [
            ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", .unknownHumanReadablePart("tc")),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", .bech32(.invalidChecksum)),
            ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", .invalidWitnessProgram(.invalidWitnessVersion(17))),
            ("bc1rw5uspcuh", .invalidWitnessProgram(.invalidWitnessProgramLength(version: 3, length: 1))),
            (
                "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
                .invalidWitnessProgram(.invalidWitnessProgramLength(version: 15, length: 41))
            ),
            (
                "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
                .invalidWitnessProgram(.invalidWitnessProgramLength(version: 0, length: 16))
            ),
            ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", .bech32(.mixedCase)),
            ("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", .invalidPadding),
            ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", .invalidPadding),
            ("bc1gmk9yu", .missingWitnessVersion),
            // Valid under BIP173, invalid since BIP350.
            (
                "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
                .wrongChecksumVariant(witnessVersion: 1)
            ),
            ("BC1SW50QA3JX3S", .wrongChecksumVariant(witnessVersion: 16)),
            ("bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", .wrongChecksumVariant(witnessVersion: 2)),
        ]
        for (string, error) in cases {
            #expect(throws: error, "\(string)") { try Address(string) }
        }
    }

    /// Bitcoin Core, `src/test/data/key_io_valid.json` (MIT licence): addresses of every kind
    /// and network with their scriptPubKeys. Core's "testnet4" uses testnet's prefixes.
    @Test(arguments: [
        ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac", Network.mainnet),
        ("36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", "a914373b819a068f32b7a6b38b6b38729647cfde01c287", .mainnet),
        ("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac", .testnet),
        ("2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", "a914ce0bba75891ff9ec60148d4bd4a09ee2dc5c933187", .testnet),
        ("mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg", "76a914b4110ba93ac54afc14da3bdd19614774a2d55d2988ac", .signet),
        ("2N1r7aC69VHeE7yQJPDLi9T1PYq4wnwvjuT", "a9145e5a35ab44b3efaea5129ba22b88ba3e2976614587", .signet),
        ("n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ", "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac", .regtest),
        ("2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA", "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87", .regtest),
        ("bc1qvyq0cc6rahyvsazfdje0twl7ez82ndmuac2lhv", "00146100fc6343edc8c874496cb2f5bbfec88ea9b77c", .mainnet),
        (
            "bc1p83n3au0rjylefxq2nc2xh2y4jzz4pm6zxj4mw5pagdjjr2a9f36s6jjnnu",
            "51203c671ef1e3913f94980a9e146ba895908550ef4234abb7503d436521aba54c75", .mainnet
        ),
        ("bc1z2rksukkjr8", "520250ed", .mainnet),
        ("tb1rgv5m6uvdk3kc7qsuz0c79v88ycr5w4wa", "53104329bd718db46d8f021c13f1e2b0e726", .testnet),
        ("tb1q3vya2h5435jkugq2few7dmktlrwq4ejmfaw7kr", "00148b09d55e958d256e200a4e5de6eecbf8dc0ae65b", .signet),
        ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", "00146f58bac9506f9bfb821d62e69330410bb56f0085", .regtest),
        (
            "bcrt1qan8gntac7z7me2ejt4hpru42ad2f759fmy0m3ejvs98656znv7eqga4uhv",
            "0020ecce89afb8f0bdbcab325d6e11f2aaeb549f50a9d91fb8e64c814faa685367b2", .regtest
        ),
        (
            "bcrt1sx6p8njlx7h9mc2agz4yg82dzne23050ncq72cneeecez2pst8mahn8xecsf8g6hzx94420",
            "6028368279cbe6f5cbbc2ba8154883a9a29e5517d1f3c03cac4f39ce3225060b3efb799cd9c412746ae2", .regtest
        ),
    ])
    func addressesOfEveryNetwork(string: String, scriptHex: String, network: Network) throws {
        let address = try Address(string, network: network)
        #expect(address.network == network)
        #expect(address.scriptPubKey.bytes.hex == scriptHex)
        #expect(address.string == string)
        let script = Script(bytes: try #require([UInt8](hex: scriptHex)))
        #expect(try Address(scriptPubKey: script, network: network) == address)
        // Upper case works for bech32 (not for base58, where case matters).
        if address.payload.isWitness {
            #expect(try Address(string.uppercased(), network: network) == address)
        }
        // Networks that write the same string accept it; the others refuse it.
        for other in Network.allCases {
            let sameForm = address.isValid(on: other)
            #expect(sameForm == ((try? Address(string, network: other)) != nil))
            if !sameForm {
                #expect(throws: AddressError.networkMismatch(expected: other)) { try Address(string, network: other) }
            }
        }
    }

    @Test func networkDetection() throws {
        #expect(try Address("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo").network == .mainnet)
        #expect(try Address("mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg").network == .testnet)
        #expect(try Address("tb1q3vya2h5435jkugq2few7dmktlrwq4ejmfaw7kr").network == .testnet)
        #expect(try Address("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9").network == .regtest)
        #expect(try Address("mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg").isValid(on: .regtest))
        #expect(try !Address("tb1q3vya2h5435jkugq2few7dmktlrwq4ejmfaw7kr").isValid(on: .regtest))
    }

    @Test func addressesFromKeysAndScripts() throws {
        let key = try PrivateKey(secretBytes: Hashing.sha256(Array("address".utf8))).publicKey
        let redeem = Script.nullData([[1]])
        for network in Network.allCases {
            let pairs: [(Address, Script)] = [
                (.p2pkh(publicKey: key, network: network), .p2pkh(publicKey: key)),
                (.p2sh(redeemScript: redeem, network: network), .p2sh(redeemScript: redeem)),
                (.p2wpkh(publicKey: key, network: network), .p2wpkh(publicKey: key)),
                (.p2wsh(witnessScript: redeem, network: network), .p2wsh(witnessScript: redeem)),
            ]
            for (address, script) in pairs {
                #expect(address.scriptPubKey == script)
                #expect(try Address(address.string, network: network) == address)
                #expect(try Address(scriptPubKey: script, network: network) == address)
            }
            let p2pkhFirst = pairs[0].0.string.first
            #expect(network == .mainnet ? p2pkhFirst == "1" : (p2pkhFirst == "m" || p2pkhFirst == "n"))
            #expect(pairs[1].0.string.first == (network == .mainnet ? "3" : "2"))
            #expect(pairs[2].0.string.hasPrefix(network.bech32HRP + "1q"))
        }
    }

    /// The regtest P2PKH addresses bitcoinj printed for the recorded channels
    /// (`../shared/vectors/bitcoinj/v2-open-pay-close.json`).
    @Test func bitcoinjRegtestAddresses() throws {
        let cases = [
            ("mxVhGwgiCXKMjEVKb1XSCCweX7t2Jo8bpd", "76a914ba3d2f5cf5b0973d3d10573dd9bbcddb745e397b88ac"),
            ("mfbsg3SpguoCcypdrHr3jodaKMoQkqafhv", "76a91400ee38f544a6fad0ffc213ffac64b4409ec1ba8c88ac"),
        ]
        for (string, scriptHex) in cases {
            #expect(try Address(string, network: .regtest).scriptPubKey.bytes.hex == scriptHex)
        }
    }

    @Test func scriptsWithoutAddressForms() throws {
        let key = try PrivateKey(secretBytes: Hashing.sha256(Array("no address".utf8))).publicKey
        for script in [
            Script.nullData([[1, 2]]), Script.channelV1(client: key, server: key), Script.empty,
            try Script.channelV2(server: key, client: key, expiry: 1),
        ] {
            #expect(throws: AddressError.noAddressForScript) { try Address(scriptPubKey: script, network: .mainnet) }
        }
    }

    @Test func malformedBase58Addresses() {
        let cases: [(String, AddressError)] = [
            ("", .base58(.missingChecksum)),
            ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mp", .base58(.checksumMismatch)),
            ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2m0", .base58(.invalidCharacter(offset: 33))),
            (Base58Check.encode([0x00] + [UInt8](repeating: 1, count: 19)), .invalidPayloadLength(20)),
            (Base58Check.encode([0x00] + [UInt8](repeating: 1, count: 21)), .invalidPayloadLength(22)),
            (Base58Check.encode([0x30] + [UInt8](repeating: 1, count: 20)), .unknownVersion(0x30)),
            (String(repeating: "1", count: 65), .base58(.tooLong(length: 65, maximum: 64))),
        ]
        for (string, error) in cases {
            #expect(throws: error, "\(string)") { try Address(string) }
        }
    }
}

extension Address.Payload {
    fileprivate var isWitness: Bool {
        if case .witness = self { return true }
        return false
    }
}
