import BitcoinPrimitives
import Testing

@Suite struct AmountTests {
    @Test func boundsAreChecked() throws {
        #expect(try Amount(satoshis: Int64(0)) == .zero)
        #expect(try Amount(satoshis: Int64(2_100_000_000_000_000)) == .maxMoney)
        #expect(throws: AmountError.negative(-1)) { try Amount(satoshis: Int64(-1)) }
        #expect(throws: AmountError.aboveMaximum(2_100_000_000_000_001)) {
            try Amount(satoshis: Int64(2_100_000_000_000_001))
        }
        #expect(throws: AmountError.self) { try Amount(satoshis: UInt64.max) }
        #expect(throws: AmountError.self) { try Amount(satoshis: Int64.min) }
    }

    @Test func arithmeticIsChecked() throws {
        let a = try Amount(satoshis: Int64(1000))
        let b = try Amount(satoshis: Int64(400))
        #expect(try a.adding(b).satoshis == 1400)
        #expect(try a.subtracting(b).satoshis == 600)
        #expect(throws: AmountError.negative(-600)) { try b.subtracting(a) }
        #expect(throws: AmountError.self) { try Amount.maxMoney.adding(Amount(satoshis: Int64(1))) }
        #expect(throws: AmountError.self) { try a.multiplied(by: Int64.max) }
        #expect(throws: AmountError.self) { try a.multiplied(by: -1) }
        #expect(try Amount.sum([a, b, b]).satoshis == 1800)
        #expect(throws: AmountError.self) { try Amount.sum([Amount.maxMoney, a]) }
    }
}

@Suite struct ByteCodingTests {
    @Test func hexRoundTrip() {
        #expect([UInt8](hex: "00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
        #expect([UInt8](hex: "abc") == nil)
        #expect([UInt8](hex: "zz") == nil)
        #expect([UInt8](hex: "") == [])
        #expect([0xde, 0xad, 0xbe, 0xef].hex == "deadbeef")
    }

    @Test func compactSizeRoundTripAndCanonicalForm() throws {
        for value: UInt64 in [0, 1, 0xfc, 0xfd, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000, .max] {
            var writer = ByteWriter()
            writer.writeCompactSize(value)
            #expect(writer.bytes.count == ByteWriter.compactSizeLength(value))
            var reader = ByteReader(writer.bytes)
            #expect(try reader.readCompactSize() == value)
            #expect(reader.isAtEnd)
        }
        for nonCanonical: [UInt8] in [
            [0xfd, 0xfc, 0x00], [0xfe, 0xff, 0xff, 0x00, 0x00], [0xff, 1, 0, 0, 0, 0, 0, 0, 0],
        ] {
            var reader = ByteReader(nonCanonical)
            #expect(throws: ParseError.nonCanonicalCompactSize(offset: 0)) { try reader.readCompactSize() }
        }
        var huge = ByteReader([0xfe, 0x01, 0x00, 0x00, 0x04])
        #expect(throws: ParseError.self) { try huge.readLength() }
        var short = ByteReader([0x05, 1, 2])
        #expect(throws: ParseError.self) { try short.readVarBytes() }
    }

    @Test func hashOrders() throws {
        let display = "6e0f8f1d9bfb1bd2a3ab7b6d8c4b9f6a35d6b7a1d1d5e4ccf0e3e2c1b0a09080"
        let hash = try #require(Hash256(displayHex: display))
        #expect(hash.displayHex == display)
        #expect(hash.internalBytes == hash.displayBytes.reversed())
        #expect(hash.internalBytes.first == 0x80)
        #expect(Hash256(internalOrder: [1, 2]) == nil)
    }

    @Test func hashFunctions() {
        // FIPS 180-2 and the RIPEMD-160 paper's "abc" examples; HASH160 of the empty string.
        let abc = Array("abc".utf8)
        #expect(Hashing.sha256(abc).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hashing.ripemd160(abc).hex == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
        #expect(Hashing.hash160([]).hex == "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb")
        #expect(
            Hashing.sha256d([]).internalBytes.hex
                == "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456")
        // RFC 4231 test case 2 (HMAC-SHA512, key "Jefe").
        #expect(
            Hashing.hmacSHA512(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)).hex
                == "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        )
    }
}
