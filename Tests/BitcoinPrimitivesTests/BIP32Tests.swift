import BitcoinPrimitives
import Testing

/// BIP32 key derivation and serialization.
@Suite struct BIP32Tests {
    struct Chain: Sendable {
        let path: String
        let xpub: String
        let xprv: String
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let seed: String
        let chains: [Chain]
        var testDescription: String { name }
    }

    /// BIP32, "Test Vectors": test vectors 1, 2 and 3 (the last checks that leading zeros of
    /// secrets are kept).
    static let vectors: [Vector] = [
        Vector(
            name: "vector 1", seed: "000102030405060708090a0b0c0d0e0f",
            chains: [
                Chain(
                    path: "m",
                    xpub:
                        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
                    xprv:
                        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
                ),
                Chain(
                    path: "m/0H",
                    xpub:
                        "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw",
                    xprv:
                        "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7"
                ),
                Chain(
                    path: "m/0H/1",
                    xpub:
                        "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ",
                    xprv:
                        "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs"
                ),
                Chain(
                    path: "m/0H/1/2H",
                    xpub:
                        "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5",
                    xprv:
                        "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM"
                ),
                Chain(
                    path: "m/0H/1/2H/2",
                    xpub:
                        "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV",
                    xprv:
                        "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334"
                ),
                Chain(
                    path: "m/0H/1/2H/2/1000000000",
                    xpub:
                        "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy",
                    xprv:
                        "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76"
                ),
            ]),
        Vector(
            name: "vector 2",
            seed:
                "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
            chains: [
                Chain(
                    path: "m",
                    xpub:
                        "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB",
                    xprv:
                        "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U"
                ),
                Chain(
                    path: "m/0",
                    xpub:
                        "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH",
                    xprv:
                        "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt"
                ),
                Chain(
                    path: "m/0/2147483647H",
                    xpub:
                        "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a",
                    xprv:
                        "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9"
                ),
                Chain(
                    path: "m/0/2147483647H/1",
                    xpub:
                        "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon",
                    xprv:
                        "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef"
                ),
                Chain(
                    path: "m/0/2147483647H/1/2147483646H",
                    xpub:
                        "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
                    xprv:
                        "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc"
                ),
                Chain(
                    path: "m/0/2147483647H/1/2147483646H/2",
                    xpub:
                        "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt",
                    xprv:
                        "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j"
                ),
            ]),
        Vector(
            name: "vector 3",
            seed:
                "4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be",
            chains: [
                Chain(
                    path: "m",
                    xpub:
                        "xpub661MyMwAqRbcEZVB4dScxMAdx6d4nFc9nvyvH3v4gJL378CSRZiYmhRoP7mBy6gSPSCYk6SzXPTf3ND1cZAceL7SfJ1Z3GC8vBgp2epUt13",
                    xprv:
                        "xprv9s21ZrQH143K25QhxbucbDDuQ4naNntJRi4KUfWT7xo4EKsHt2QJDu7KXp1A3u7Bi1j8ph3EGsZ9Xvz9dGuVrtHHs7pXeTzjuxBrCmmhgC6"
                ),
                Chain(
                    path: "m/0H",
                    xpub:
                        "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y",
                    xprv:
                        "xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L"
                ),
            ]),
    ]

    @Test(arguments: vectors)
    func derivationAndSerialization(vector: Vector) throws {
        let master = try ExtendedPrivateKey(seed: try #require([UInt8](hex: vector.seed)))
        for chain in vector.chains {
            let path = try DerivationPath(chain.path)
            let key = try master.derived(path)
            #expect(key.serialized(network: .mainnet) == chain.xprv, "\(chain.path)")
            #expect(key.extendedPublicKey.serialized(network: .mainnet) == chain.xpub, "\(chain.path)")
            #expect(Int(key.depth) == path.components.count)
            #expect(key.childNumber == path.components.last ?? ChildNumber(rawValue: 0))

            // Parsing gives back the same key, and the string.
            let parsed = try ExtendedPrivateKey(serialized: chain.xprv, network: .mainnet)
            #expect(parsed.serialized(network: .mainnet) == chain.xprv)
            #expect(parsed.publicKey == key.publicKey)
            let parsedPublic = try ExtendedPublicKey(serialized: chain.xpub, network: .mainnet)
            #expect(parsedPublic == key.extendedPublicKey)
            #expect(parsedPublic.serialized(network: .mainnet) == chain.xpub)

            // Testnet strings carry the other versions and parse back only for testnet.
            let tprv = key.serialized(network: .testnet)
            #expect(tprv.hasPrefix("tprv"))
            #expect(try ExtendedPrivateKey(serialized: tprv, network: .regtest).publicKey == key.publicKey)
            #expect(throws: KeyDerivationError.unknownVersion(0x0435_8394)) {
                try ExtendedPrivateKey(serialized: tprv, network: .mainnet)
            }
            #expect(key.extendedPublicKey.serialized(network: .signet).hasPrefix("tpub"))
        }
    }

    /// Public derivation of normal children agrees with private derivation.
    @Test(arguments: vectors)
    func publicDerivationMatchesPrivate(vector: Vector) throws {
        let master = try ExtendedPrivateKey(seed: try #require([UInt8](hex: vector.seed)))
        for chain in vector.chains {
            let key = try master.derived(try DerivationPath(chain.path))
            for index: UInt32 in [0, 1, 7, 0x7fff_ffff] {
                let child = try ChildNumber.normal(index)
                #expect(try key.extendedPublicKey.derived(child) == key.derived(child).extendedPublicKey)
            }
            let hardened = try ChildNumber.hardened(0)
            #expect(throws: KeyDerivationError.hardenedChildOfPublicKey(hardened)) {
                try key.extendedPublicKey.derived(hardened)
            }
        }
    }

    /// BIP32, "Test vector 5": serialized keys that must be refused, with the reason.
    @Test(arguments: [
        (
            "xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6LBpB85b3D2yc8sfvZU521AAwdZafEz7mnzBBsz4wKY5fTtTQBm",
            KeyDerivationError.invalidKeyData  // pubkey version / prvkey mismatch
        ),
        (
            "xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGTQQD3dC4H2D5GBj7vWvSQaaBv5cxi9gafk7NF3pnBju6dwKvH",
            .invalidKeyData  // prvkey version / pubkey mismatch
        ),
        (
            "xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Txnt3siSujt9RCVYsx4qHZGc62TG4McvMGcAUjeuwZdduYEvFn",
            .invalidKeyData  // invalid pubkey prefix 04
        ),
        (
            "xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGpWnsj83BHtEy5Zt8CcDr1UiRXuWCmTQLxEK9vbz5gPstX92JQ",
            .invalidKeyData  // invalid prvkey prefix 04
        ),
        (
            "xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6N8ZMMXctdiCjxTNq964yKkwrkBJJwpzZS4HS2fxvyYUA4q2Xe4",
            .invalidKeyData  // invalid pubkey prefix 01
        ),
        (
            "xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD9y5gkZ6Eq3Rjuahrv17fEQ3Qen6J",
            .invalidKeyData  // invalid prvkey prefix 01
        ),
        (
            "xprv9s2SPatNQ9Vc6GTbVMFPFo7jsaZySyzk7L8n2uqKXJen3KUmvQNTuLh3fhZMBoG3G4ZW1N2kZuHEPY53qmbZzCHshoQnNf4GvELZfqTUrcv",
            .invalidRootKey  // zero depth with non-zero parent fingerprint
        ),
        (
            "xpub661no6RGEX3uJkY4bNnPcw4URcQTrSibUZ4NqJEw5eBkv7ovTwgiT91XX27VbEXGENhYRCf7hyEbWrR3FewATdCEebj6znwMfQkhRYHRLpJ",
            .invalidRootKey  // zero depth with non-zero parent fingerprint
        ),
        (
            "xprv9s21ZrQH4r4TsiLvyLXqM9P7k1K3EYhA1kkD6xuquB5i39AU8KF42acDyL3qsDbU9NmZn6MsGSUYZEsuoePmjzsB3eFKSUEh3Gu1N3cqVUN",
            .invalidRootKey  // zero depth with non-zero index
        ),
        (
            "xpub661MyMwAuDcm6CRQ5N4qiHKrJ39Xe1R1NyfouMKTTWcguwVcfrZJaNvhpebzGerh7gucBvzEQWRugZDuDXjNDRmXzSZe4c7mnTK97pTvGS8",
            .invalidRootKey  // zero depth with non-zero index
        ),
        (
            "xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzF93Y5wvzdUayhgkkFoicQZcP3y52uPPxFnfoLZB21Teqt1VvEHx",
            .invalidKeyData  // private key 0 not in 1..n-1
        ),
        (
            "xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD5SDKr24z3aiUvKr9bJpdrcLg1y3G",
            .invalidKeyData  // private key n not in 1..n-1
        ),
        (
            "xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Q5JXayek4PRsn35jii4veMimro1xefsM58PgBMrvdYre8QyULY",
            .invalidKeyData  // invalid pubkey 020000000000000000000000000000000000000000000000000000000000000007
        ),
        (
            "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHL",
            .base58(.checksumMismatch)  // invalid checksum
        ),
    ])
    func invalidSerializedKeys(string: String, error: KeyDerivationError) {
        if string.hasPrefix("xprv") {
            #expect(throws: error) { try ExtendedPrivateKey(serialized: string, network: .mainnet) }
        } else {
            #expect(throws: error) { try ExtendedPublicKey(serialized: string, network: .mainnet) }
        }
    }

    /// BIP32, "Test vector 5": unknown extended key versions.
    @Test func unknownVersionsAreRefused() {
        let strings = [
            "DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHPmHJiEDXkTiJTVV9rHEBUem2mwVbbNfvT2MTcAqj3nesx8uBf9",
            "DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHGMQzT7ayAmfo4z3gY5KfbrZWZ6St24UVf2Qgo6oujFktLHdHY4",
        ]
        for string in strings {
            for network in Network.allCases {
                #expect(throws: KeyDerivationError.self) {
                    try ExtendedPrivateKey(serialized: string, network: network)
                }
                #expect(throws: KeyDerivationError.self) { try ExtendedPublicKey(serialized: string, network: network) }
            }
        }
        // An xpub is not an xprv, and the reverse.
        let xpub = Self.vectors[0].chains[0].xpub
        let xprv = Self.vectors[0].chains[0].xprv
        #expect(throws: KeyDerivationError.unknownVersion(0x0488_b21e)) {
            try ExtendedPrivateKey(serialized: xpub, network: .mainnet)
        }
        #expect(throws: KeyDerivationError.unknownVersion(0x0488_ade4)) {
            try ExtendedPublicKey(serialized: xprv, network: .mainnet)
        }
        #expect(throws: KeyDerivationError.invalidSerializedLength(77)) {
            try ExtendedPublicKey(serialized: Base58Check.encode([UInt8](repeating: 1, count: 77)), network: .mainnet)
        }
    }

    /// bitcoinj's wallets in the recorded channels derive their change keys at M/0H/1/0 from a
    /// BIP39 seed (`../shared/vectors/bitcoinj/v2-open-pay-close.json`); the same derivation
    /// here must find the same private keys.
    @Test func bitcoinjWalletKeys() throws {
        let cases = [
            (
                "isolate top galaxy later unit aware cargo drip private dismiss neutral enable",
                "0095bc92354188aa92a311bf2ff4cadd389bdd84746dde3a9f7fb01ae85ede3f",
                "0209d2328915d50a4ff58aecf14a6cc0d532b4ce21714f2639ef4e22bde7355963"
            ),
            (
                "grace explain avoid spoil dinner plug inform kiss sheriff carpet insect ice",
                "557db3880f29fbfb5540c2da92d4e71059af43fc31c30c8d95551082482036c5",
                "03c64a7ac81cfbca1de6899ff02c521ef4d69e1d98bcd26e896595f308f6238616"
            ),
        ]
        for (mnemonic, privateHex, publicHex) in cases {
            let seed = Self.bip39Seed(mnemonic: mnemonic)
            let key = try ExtendedPrivateKey(seed: seed).derived(try DerivationPath("M/0H/1/0"))
            #expect(key.privateKey.secretBytesCopy().hex == privateHex)
            #expect(key.publicKey.bytes.hex == publicHex)
        }
    }

    /// BIP39's seed: PBKDF2-HMAC-SHA512 of the mnemonic, salt "mnemonic" (empty passphrase),
    /// 2048 iterations, one 64-byte block. (ASCII mnemonics need no normalization.)
    private static func bip39Seed(mnemonic: String) -> [UInt8] {
        let password = Array(mnemonic.utf8)
        var block = Hashing.hmacSHA512(key: password, data: Array("mnemonic".utf8) + [0, 0, 0, 1])
        var result = block
        for _ in 1..<2048 {
            block = Hashing.hmacSHA512(key: password, data: block)
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }

    @Test func pathParsing() throws {
        let path = try DerivationPath("m/0'/1/2h/3H/2147483647'")
        #expect(
            path.components == [
                try .hardened(0), try .normal(1), try .hardened(2), try .hardened(3), try .hardened(2_147_483_647),
            ])
        #expect(path.description == "m/0'/1/2'/3'/2147483647'")
        #expect(try DerivationPath(path.description) == path)
        #expect(try DerivationPath("m").components.isEmpty)
        #expect(try DerivationPath("M/1").components == [try .normal(1)])
        #expect(path.appending(try .normal(9)).description == "m/0'/1/2'/3'/2147483647'/9")
        let invalid = [
            "", "/", "m/", "0/1", "n/1", "m//1", "m/1/", "m/-1", "m/+1", "m/1''", "m/1h'", "m/ 1", "m/1 ",
            "m/2147483648",
            "m/4294967296", "m/99999999999", "m/0x1", "m/1.5", "m/h", "m/'", "mm/1", "m/1/m",
            "m" + String(repeating: "/1", count: 256),
        ]
        for string in invalid {
            #expect(throws: KeyDerivationError.self, "\(string.prefix(20))") { try DerivationPath(string) }
        }
        #expect(try DerivationPath("m" + String(repeating: "/1", count: 255)).components.count == 255)
    }

    @Test func childNumbers() throws {
        #expect(try ChildNumber.hardened(5).rawValue == 0x8000_0005)
        #expect(try ChildNumber.hardened(5).index == 5)
        #expect(try ChildNumber.hardened(5).isHardened)
        #expect(try !ChildNumber.normal(5).isHardened)
        #expect(ChildNumber(rawValue: 0x8000_0000).description == "0'")
        #expect(throws: KeyDerivationError.indexOutOfRange(0x8000_0000)) { try ChildNumber.normal(0x8000_0000) }
        #expect(throws: KeyDerivationError.indexOutOfRange(UInt32.max)) { try ChildNumber.hardened(UInt32.max) }
    }

    @Test func seedLengthsAndDepthLimit() throws {
        for length in [0, 15, 65, 128] {
            #expect(throws: KeyDerivationError.invalidSeedLength(length)) {
                try ExtendedPrivateKey(seed: [UInt8](repeating: 1, count: length))
            }
        }
        for length in [16, 32, 64] {
            #expect(try ExtendedPrivateKey(seed: [UInt8](repeating: 1, count: length)).depth == 0)
        }
        let master = try ExtendedPrivateKey(seed: [UInt8](repeating: 7, count: 32))
        let deepest = try master.derived(DerivationPath("m" + String(repeating: "/0", count: 255)))
        #expect(deepest.depth == 255)
        #expect(throws: KeyDerivationError.depthExceeded) { try deepest.derived(.normal(0)) }
        #expect(throws: KeyDerivationError.depthExceeded) { try deepest.extendedPublicKey.derived(.normal(0)) }
    }

    @Test func descriptionsDoNotRevealSecrets() throws {
        let key = try ExtendedPrivateKey(seed: [UInt8](repeating: 3, count: 32)).derived(.hardened(1))
        let secret = key.privateKey.secretBytesCopy().hex
        let xprv = key.serialized(network: .mainnet)
        for text in [key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)"]
        {
            #expect(!text.contains(secret))
            #expect(!text.contains(xprv))
            #expect(!text.lowercased().contains(key.chainCode.hex))
            #expect(text.contains("redacted"))
        }
    }
}
