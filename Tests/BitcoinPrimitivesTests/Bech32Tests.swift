import BitcoinPrimitives
import Testing

@Suite struct Bech32Tests {
    /// BIP173, "Test vectors": valid Bech32 strings.
    static let validBech32 = [
        "A12UEL5L", "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl",
    ]

    /// BIP350, "Test vectors for Bech32m": valid Bech32m strings.
    static let validBech32m = [
        "A1LQFN3A", "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa",
    ]

    @Test func validStringsDecodeWithTheirVariantAndReencode() throws {
        for (strings, variant) in [(Self.validBech32, Bech32.Variant.bech32), (Self.validBech32m, .bech32m)] {
            for string in strings {
                let decoded = try Bech32.decode(string)
                #expect(decoded.variant == variant, "\(string)")
                let encoded = try Bech32.encode(
                    humanReadablePart: decoded.humanReadablePart, values: decoded.values, variant: variant)
                #expect(encoded == string.lowercased())
                // Valid in one variant means invalid in the other: re-encoding with it differs.
                let other: Bech32.Variant = variant == .bech32 ? .bech32m : .bech32
                let otherEncoding = try Bech32.encode(
                    humanReadablePart: decoded.humanReadablePart, values: decoded.values, variant: other)
                #expect(otherEncoding != encoded)
            }
        }
    }

    /// BIP173 and BIP350, "Test vectors": strings that are not valid Bech32 / Bech32m, with
    /// the error each must give.
    @Test func invalidStringsAreRefusedForTheRightReason() {
        let cases: [(String, Bech32Error)] = [
            // BIP173
            ("\u{20}1nwldj5", .invalidCharacter(offset: 0)),
            ("\u{7f}1axkwrx", .invalidCharacter(offset: 0)),
            ("\u{80}1eym55h", .invalidCharacter(offset: 0)),
            (
                "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
                .tooLong(length: 91, maximum: 90)
            ),
            ("pzry9x0s0muk", .missingSeparator),
            ("1pzry9x0s0muk", .emptyHumanReadablePart),
            ("x1b4n0q5v", .invalidCharacter(offset: 2)),
            ("li1dgmt3", .checksumTooShort),
            ("de1lg7wt\u{ff}", .invalidCharacter(offset: 8)),
            ("A1G7SGD8", .invalidChecksum),
            ("10a06t8", .emptyHumanReadablePart),
            ("1qzzfhee", .emptyHumanReadablePart),
            // BIP350
            ("\u{20}1xj0phk", .invalidCharacter(offset: 0)),
            ("\u{7f}1g6xzxy", .invalidCharacter(offset: 0)),
            ("\u{80}1vctc34", .invalidCharacter(offset: 0)),
            (
                "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
                .tooLong(length: 91, maximum: 90)
            ),
            ("qyrz8wqd2c9m", .missingSeparator),
            ("1qyrz8wqd2c9m", .emptyHumanReadablePart),
            ("y1b0jsk6g", .invalidCharacter(offset: 2)),
            ("lt1igcx5c0", .invalidCharacter(offset: 3)),
            ("in1muywd", .checksumTooShort),
            ("mm1crxm3i", .invalidCharacter(offset: 8)),
            ("au1s5cgom", .invalidCharacter(offset: 7)),
            ("M1VUXWEZ", .invalidChecksum),
            ("16plkw9", .emptyHumanReadablePart),
            ("1p2gdwpf", .emptyHumanReadablePart),
        ]
        for (string, error) in cases {
            #expect(throws: error, "\(string)") { try Bech32.decode(string) }
        }
        #expect(throws: Bech32Error.mixedCase) { try Bech32.decode("a12UEL5L") }
    }

    @Test func encoderRefusesBadInput() throws {
        #expect(throws: Bech32Error.invalidValue(32)) {
            try Bech32.encode(humanReadablePart: "bc", values: [0, 32], variant: .bech32)
        }
        #expect(throws: Bech32Error.emptyHumanReadablePart) {
            try Bech32.encode(humanReadablePart: "", values: [], variant: .bech32)
        }
        #expect(throws: Bech32Error.invalidCharacter(offset: 1)) {
            try Bech32.encode(humanReadablePart: "b c", values: [], variant: .bech32)
        }
        #expect(throws: Bech32Error.tooLong(length: 91, maximum: 90)) {
            try Bech32.encode(humanReadablePart: "bc", values: [UInt8](repeating: 1, count: 82), variant: .bech32m)
        }
        #expect(try Bech32.encode(humanReadablePart: "A", values: [], variant: .bech32) == "a12uel5l")
    }
}
