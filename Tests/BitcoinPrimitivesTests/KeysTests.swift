import BitcoinPrimitives
import CShims
import Testing

/// Keys and signatures over the real libsecp256k1.
@Suite struct KeysTests {
    private func key(_ label: String) throws -> PrivateKey {
        try PrivateKey(secretBytes: Hashing.sha256(Array(label.utf8)))
    }

    @Test func signAndVerifyRoundTrip() throws {
        for i in 0..<50 {
            let key = try key("paychan test \(i)")
            let hash = Hashing.sha256(Array("message \(i)".utf8))
            let sig = try key.sign(hash: hash)
            #expect(key.publicKey.verify(sig, hash: hash))
            #expect(key.publicKey.uncompressed.verify(sig, hash: hash))
            var other = hash
            other[i % 32] ^= 1
            #expect(!key.publicKey.verify(sig, hash: other))
            #expect(try !self.key("another key").publicKey.verify(sig, hash: hash))
            // Our own signatures are always canonical: strict DER and low S.
            #expect(ECDSASignature.isStrictDER(sig.der))
            #expect(try ECDSASignature(der: sig.der) == sig)
        }
    }

    @Test func signaturesAreDeterministic() throws {
        let key = try key("deterministic")
        let hash = Hashing.sha256([1, 2, 3])
        #expect(try key.sign(hash: hash) == key.sign(hash: hash))
    }

    /// RFC 6979 (HMAC-SHA256) nonces for secp256k1. Values from the widely used secp256k1
    /// RFC 6979 test set (python-ecdsa's and Trezor's `test_rfc6979` vectors), with the message
    /// hashed by SHA-256.
    @Test(arguments: [
        (
            "0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
            "8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15"
        ),
        (
            "0000000000000000000000000000000000000000000000000000000000000001",
            "All those moments will be lost in time, like tears in rain. Time to die...",
            "38aa22d72376b4dbc472e06c3ba403ee0a394da63fc58d88686c611aba98d6b3"
        ),
        (
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
            "33a19b60e25fb6f4435af53a3d42d493644827367e6453928554f43e49aa6f90"
        ),
        (
            "f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181", "Alan Turing",
            "525a82b70e67874398067543fd84c83d30c175fdc45fdeee082fe13b1d7cfdf1"
        ),
    ])
    func rfc6979Nonce(secretHex: String, message: String, expectedNonce: String) throws {
        let secret = try #require([UInt8](hex: secretHex))
        let hash = Hashing.sha256(Array(message.utf8))
        var nonce = [UInt8](repeating: 0, count: 32)
        let ok = paychan_rfc6979_nonce(hash, secret, &nonce)
        #expect(ok == 1)
        #expect(nonce.hex == expectedNonce)
    }

    /// Full signatures from the same vector set: with RFC 6979 nonces and low S the DER bytes
    /// are fixed.
    @Test func rfc6979Signatures() throws {
        let one = try PrivateKey(secretBytes: [UInt8](repeating: 0, count: 31) + [1])
        let sig = try one.sign(hash: Hashing.sha256(Array("Satoshi Nakamoto".utf8)))
        #expect(
            sig.der.hex
                == "3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
                + "02202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5")
    }

    @Test func invalidSecretKeysAreRefused() {
        let order = [UInt8](hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141") ?? []
        for bad in [[UInt8](repeating: 0, count: 32), order, [UInt8](repeating: 0xff, count: 32), [1], []] {
            #expect(throws: KeyError.invalidPrivateKey) { try PrivateKey(secretBytes: bad) }
        }
    }

    @Test func privateKeyIsNeverPrinted() throws {
        let secret = Hashing.sha256(Array("secret".utf8))
        let key = try PrivateKey(secretBytes: secret)
        #expect(!key.description.contains(secret.hex))
        #expect(!String(reflecting: key).contains(secret.hex))
        #expect(key.description.contains("redacted"))
    }

    @Test func publicKeyEncodings() throws {
        let key = try key("encodings")
        let compressed = key.publicKey
        #expect(compressed.bytes.count == 33)
        let uncompressed = compressed.uncompressed
        #expect(uncompressed.bytes.count == 65 && uncompressed.bytes[0] == 4)
        #expect(uncompressed.compressed == compressed)
        #expect(try PublicKey(bytes: uncompressed.bytes) == uncompressed)
        // Not on the curve, wrong prefix, wrong lengths.
        var hybrid = uncompressed.bytes
        hybrid[0] = 0x06 | (compressed.bytes[0] & 1)
        #expect(throws: KeyError.invalidPublicKey) { try PublicKey(bytes: hybrid) }
        var offCurve = compressed.bytes
        offCurve[0] = 0x05
        for bad in [offCurve, Array(compressed.bytes.dropLast()), [], [UInt8](repeating: 0, count: 33)] {
            #expect(throws: KeyError.invalidPublicKey) { try PublicKey(bytes: bad) }
        }
    }

    @Test func highSAndNonDERAreRefused() throws {
        let key = try key("high-s")
        let hash = Hashing.sha256([9])
        let sig = try key.sign(hash: hash)
        // Flip S to n - S: a valid signature mathematically, but not canonical.
        let highS = try #require(Self.negateS(sig.der))
        #expect(throws: KeyError.highS) { try ECDSASignature(der: highS) }
        #expect(paychan_ecdsa_verify_der(highS, highS.count, hash, key.publicKey.bytes, 33) == PAYCHAN_VERIFY_HIGH_S)
        // Normalizing brings it back.
        var normalized = [UInt8](repeating: 0, count: 72)
        let n = paychan_ecdsa_der_normalize(highS, highS.count, &normalized)
        #expect(Array(normalized.prefix(n)) == sig.der)
        // Non-DER variants: wrong tag, wrong total length, padded R, trailing byte, empty.
        var wrongTag = sig.der
        wrongTag[0] = 0x31
        var wrongLength = sig.der
        wrongLength[1] &+= 1
        let padded = Self.padR(sig.der)
        for bad in [wrongTag, wrongLength, padded, sig.der + [0], [], [0x30]] {
            #expect(throws: KeyError.nonStrictDER) { try ECDSASignature(der: bad) }
            #expect(
                paychan_ecdsa_verify_der(bad, bad.count, hash, key.publicKey.bytes, 33) == PAYCHAN_VERIFY_BAD_DER)
        }
    }

    @Test func transactionSignatureSighashByte() throws {
        let key = try key("sighash byte")
        let sig = try key.sign(hash: Hashing.sha256([7]))
        for type: UInt8 in [0x01, 0x02, 0x03, 0x81, 0x82, 0x83] {
            let parsed = try TransactionSignature(encoded: sig.der + [type])
            #expect(parsed.sighashType.byte == type)
            #expect(parsed.encoded == sig.der + [type])
        }
        for type: UInt8 in [0x00, 0x04, 0x80, 0x84, 0xff] {
            #expect(throws: KeyError.invalidSighashType(type)) { try TransactionSignature(encoded: sig.der + [type]) }
        }
        #expect(throws: KeyError.invalidSighashType(nil)) { try TransactionSignature(encoded: []) }
    }

    @Test func randomBytesNeverTrapSignatureParsers() {
        var rng = SplitMix64(seed: 0x5eed)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 80)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if length > 2, rng.next() % 2 == 0 {
                bytes[0] = 0x30
                bytes[1] = UInt8(length - 2)
            }
            _ = try? ECDSASignature(der: bytes)
            _ = try? TransactionSignature(encoded: bytes)
            _ = try? PublicKey(bytes: bytes)
        }
    }

    /// Replaces S with n - S in a DER signature.
    static func negateS(_ der: [UInt8]) -> [UInt8]? {
        let order = [UInt8](hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141") ?? []
        let lenR = Int(der[3])
        let lenS = Int(der[5 + lenR])
        var s = Array(der[(6 + lenR)..<(6 + lenR + lenS)])
        while s.count < 32 { s.insert(0, at: 0) }
        if s.count == 33 { s.removeFirst() }
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var d = Int(order[i]) - Int(s[i]) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            result[i] = UInt8(d)
        }
        while result.count > 1 && result[0] == 0 && result[1] & 0x80 == 0 { result.removeFirst() }
        if result[0] & 0x80 != 0 { result.insert(0, at: 0) }
        let r = Array(der[4..<(4 + lenR)])
        let body = [0x02, UInt8(r.count)] + r + [0x02, UInt8(result.count)] + result
        return [0x30, UInt8(body.count)] + body
    }

    /// Adds a superfluous zero byte in front of R (not minimal DER).
    static func padR(_ der: [UInt8]) -> [UInt8] {
        let lenR = Int(der[3])
        let r = [0x00] + Array(der[4..<(4 + lenR)])
        let rest = Array(der[(4 + lenR)...])
        let body = [0x02, UInt8(r.count)] + r + rest
        return [0x30, UInt8(body.count)] + body
    }
}
