import BitcoinPrimitives
import Testing

@Suite struct Base58Tests {
    /// Bitcoin Core, `src/test/data/base58_encode_decode.json` (MIT licence).
    @Test(arguments: [
        ("", ""), ("61", "2g"), ("626262", "a3gV"), ("636363", "aPEr"),
        ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
        ("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
        ("516b6fcd0f", "ABnLTmg"), ("bf4f89001e670274dd", "3SEo3LWLoPntC"), ("572e4794", "3EFU7m"),
        ("ecac89cad93923c02321", "EJDM8drfXA6uyA"), ("10c8511e", "Rt5zm"), ("00000000000000000000", "1111111111"),
        (
            "000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
            "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        ),
        ("271F359E", "zzzzy"), ("271F359F", "zzzzz"), ("271F35A0", "211111"), ("271F35A1", "211112"),
    ])
    func encodeAndDecode(hex: String, encoded: String) throws {
        let bytes = try #require([UInt8](hex: hex))
        #expect(Base58.encode(bytes) == encoded)
        #expect(try Base58.decode(encoded) == bytes)
    }

    @Test func everyByteValueRoundTrips() throws {
        let bytes = [UInt8](0...255)
        #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
        #expect(try Base58.decode(Base58.encode([0, 0] + bytes)) == [0, 0] + bytes)
    }

    @Test func invalidCharactersAreRefused() {
        for (string, offset) in [
            ("0", 0), ("O", 0), ("I", 0), ("l", 0), ("1 1", 1), ("abc\u{e9}", 3), (" 2g", 0), ("2g\n", 2),
        ] {
            #expect(throws: Base58Error.invalidCharacter(offset: offset)) { try Base58.decode(string) }
        }
        #expect(throws: Base58Error.tooLong(length: 513, maximum: 512)) {
            try Base58.decode(String(repeating: "2", count: 513))
        }
    }

    /// A P2PKH address from the Bitcoin wiki's "Technical background of version 1 Bitcoin
    /// addresses"; the others from Bitcoin Core's `key_io_valid.json` (MIT licence).
    @Test func base58CheckVectors() throws {
        let hash = try #require([UInt8](hex: "010966776006953d5567439e5e39f86a0d273bee"))
        #expect(Base58Check.encode([0x00] + hash) == "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM")
        #expect(try Base58Check.decode("16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM") == [0x00] + hash)
        let p2sh = try #require([UInt8](hex: "05373b819a068f32b7a6b38b6b38729647cfde01c2"))
        #expect(try Base58Check.decode("36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm") == p2sh)
        #expect(Base58Check.encode(p2sh) == "36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm")
        // A string that is valid base58 but whose last 4 bytes are not a checksum.
        #expect(throws: Base58Error.checksumMismatch) { try Base58Check.decode("1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L") }
        #expect(Base58Check.encode([]) == "3QJmnh")
        #expect(try Base58Check.decode("3QJmnh") == [])
    }

    @Test func base58CheckRefusesBadChecksums() {
        #expect(throws: Base58Error.checksumMismatch) { try Base58Check.decode("16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvN") }
        #expect(throws: Base58Error.checksumMismatch) { try Base58Check.decode("16UwLL9Risc3QfPqBUvKofHmBQ7wMtjv") }
        for short in ["", "1", "2g", "a3gV"] {
            #expect(throws: Base58Error.missingChecksum) { try Base58Check.decode(short) }
        }
    }
}
