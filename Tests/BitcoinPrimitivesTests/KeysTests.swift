import BitcoinPrimitives
import CShims
import Testing

@Suite struct KeysTests {
    @Test func signAndVerifyRoundTrip() throws {
        let key = try PrivateKey(secretBytes: Hashing.sha256(Array("paychan test".utf8)))
        let hash = Hashing.sha256(Array("message".utf8))
        let sig = key.sign(hash: hash)
        #expect(key.publicKey.verify(sig, hash: hash))
        var other = hash
        other[0] ^= 1
        #expect(!key.publicKey.verify(sig, hash: other))
    }
}
