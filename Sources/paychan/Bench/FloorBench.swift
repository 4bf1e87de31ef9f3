import BitcoinPrimitives
import CShims
import ChannelStateMachine

/// Measures the floor: libsecp256k1 signing and verification of payment sighashes called
/// straight through CShims (no Swift wrapper), and the payment sighash itself.
enum FloorBench {
    /// One payment transaction of a v2 channel, the client's key, and the sighashes of a run of
    /// payments on it.
    private struct Fixture {
        let payment: PaymentTransaction
        let key: PrivateKey
        let secret: [UInt8]
        let parsedPublicKey: [UInt8]
        let changes: [Amount]
        let sighashes: [Hash256]
        let hashes: [[UInt8]]
    }

    static func measure(_ settings: BenchSettings) throws -> BenchFloor {
        let fixture = try makeFixture(count: settings.floorIterations)
        let repeats = max(settings.repeats, settings.quick ? 1 : 5)
        let sign = try BenchTiming.medianAfterWarmUp(repeats: repeats) { try signRound(fixture) }
        let signatures = try signAll(fixture)
        let verify = try BenchTiming.medianAfterWarmUp(repeats: repeats) { try verifyRound(fixture, signatures) }
        let sighash = try BenchTiming.medianAfterWarmUp(repeats: repeats) { try sighashRound(fixture) }
        let swiftSign = try BenchTiming.medianAfterWarmUp(repeats: repeats) { try swiftSignRound(fixture) }
        let swiftVerify = try BenchTiming.medianAfterWarmUp(repeats: repeats) {
            try swiftVerifyRound(fixture, signatures)
        }
        return BenchFloor(
            signMicros: sign, verifyMicros: verify, sighashMicros: sighash, swiftSignMicros: swiftSign,
            swiftVerifyMicros: swiftVerify)
    }

    private static func makeFixture(count: Int) throws -> Fixture {
        let root = try ExtendedPrivateKey(seed: Hashing.sha256(Array("paychan bench floor".utf8)))
        let clientKey = try root.derived(DerivationPath("m/0'/0'")).privateKey
        let serverKey = try root.derived(DerivationPath("m/0'/1'")).privateKey
        let contract = try ChannelContract(
            version: .v2, clientKey: clientKey.publicKey, serverKey: serverKey.publicKey, expiry: 1_767_225_600)
        let payment = PaymentTransaction(
            contractOutpoint: OutPoint(txid: Hashing.sha256d(Array("bench contract".utf8)), index: 0),
            clientOutputScript: .p2pkh(publicKey: clientKey.publicKey), signedScript: contract.signedScript)
        let changes = try (0..<max(1, count)).map { try Amount(satoshis: Int64(50_000_000 - 1000 * $0)) }
        var parsed = [UInt8](repeating: 0, count: Int(PAYCHAN_PUBKEY_PARSED_SIZE))
        let publicKey = clientKey.publicKey.bytes
        let parsedOK = publicKey.withUnsafeBufferPointer { input in
            parsed.withUnsafeMutableBufferPointer {
                paychan_pubkey_parse(input.baseAddress, input.count, $0.baseAddress)
            }
        }
        guard parsedOK == 1 else { throw BenchFailure("floor: the client key does not parse") }
        let sighashes = changes.map { payment.sighash(change: $0) }
        return Fixture(
            payment: payment, key: clientKey, secret: clientKey.secretBytesCopy(), parsedPublicKey: parsed,
            changes: changes, sighashes: sighashes, hashes: sighashes.map(\.internalBytes))
    }

    /// Microseconds per C signature.
    private static func signRound(_ fixture: Fixture) throws -> Double {
        var written = 0
        var der = [UInt8](repeating: 0, count: 72)
        let seconds = BenchTiming.seconds {
            fixture.secret.withUnsafeBufferPointer { secret in
                der.withUnsafeMutableBufferPointer { out in
                    for hash in fixture.hashes {
                        written += hash.withUnsafeBufferPointer {
                            paychan_ecdsa_sign_der($0.baseAddress, secret.baseAddress, out.baseAddress)
                        }
                    }
                }
            }
        }
        guard written > 0 else { throw BenchFailure("floor: signing failed") }
        return seconds * 1e6 / Double(fixture.hashes.count)
    }

    /// One DER signature per sighash, for the verification rounds.
    private static func signAll(_ fixture: Fixture) throws -> [[UInt8]] {
        try fixture.hashes.map { hash in
            var der = [UInt8](repeating: 0, count: 72)
            let length = fixture.secret.withUnsafeBufferPointer { secret in
                hash.withUnsafeBufferPointer { h in
                    der.withUnsafeMutableBufferPointer {
                        paychan_ecdsa_sign_der(h.baseAddress, secret.baseAddress, $0.baseAddress)
                    }
                }
            }
            guard length > 0 else { throw BenchFailure("floor: signing failed") }
            return Array(der.prefix(length))
        }
    }

    /// Microseconds per C verification (the parsed-key form the server's path uses).
    private static func verifyRound(_ fixture: Fixture, _ signatures: [[UInt8]]) throws -> Double {
        var valid = 0
        let seconds = BenchTiming.seconds {
            fixture.parsedPublicKey.withUnsafeBufferPointer { key in
                for (hash, signature) in zip(fixture.hashes, signatures) {
                    let result = signature.withUnsafeBufferPointer { der in
                        hash.withUnsafeBufferPointer {
                            paychan_ecdsa_verify_der_parsed(der.baseAddress, der.count, $0.baseAddress, key.baseAddress)
                        }
                    }
                    if result == PAYCHAN_VERIFY_OK { valid += 1 }
                }
            }
        }
        guard valid == signatures.count else { throw BenchFailure("floor: a signature did not verify") }
        return seconds * 1e6 / Double(signatures.count)
    }

    /// Microseconds per payment sighash; each is run ten times per round, it is short.
    private static func sighashRound(_ fixture: Fixture) throws -> Double {
        var fold: UInt8 = 0
        let seconds = BenchTiming.seconds {
            for _ in 0..<10 {
                for change in fixture.changes { fold ^= fixture.payment.sighash(change: change).internalBytes[0] }
            }
        }
        // Compared with the precomputed hashes so the work cannot be dropped.
        var expected: UInt8 = 0
        for _ in 0..<10 { for hash in fixture.hashes { expected ^= hash[0] } }
        guard fold == expected else { throw BenchFailure("floor: sighash mismatch") }
        return seconds * 1e6 / Double(10 * fixture.changes.count)
    }

    /// Microseconds per signature through `PrivateKey.sign(sighash:type:)`.
    private static func swiftSignRound(_ fixture: Fixture) throws -> Double {
        var bytes = 0
        let seconds = BenchTiming.seconds {
            for sighash in fixture.sighashes {
                bytes += fixture.key.sign(sighash: sighash, type: .singleAnyoneCanPay).signature.der.count
            }
        }
        guard bytes > 0 else { throw BenchFailure("floor: signing failed") }
        return seconds * 1e6 / Double(fixture.hashes.count)
    }

    /// Microseconds per verification through `PublicKey.verify(_:sighash:)`, from the encoded
    /// signature as it arrives on the wire (parsing included, as the server does).
    private static func swiftVerifyRound(_ fixture: Fixture, _ signatures: [[UInt8]]) throws -> Double {
        let encoded = signatures.map { $0 + [SighashType.singleAnyoneCanPay.byte] }
        let publicKey = fixture.key.publicKey
        var valid = 0
        let seconds = try BenchTiming.seconds {
            for (sighash, bytes) in zip(fixture.sighashes, encoded) {
                let signature = try TransactionSignature(encoded: bytes)
                if publicKey.verify(signature, sighash: sighash) { valid += 1 }
            }
        }
        guard valid == encoded.count else { throw BenchFailure("floor: a signature did not verify") }
        return seconds * 1e6 / Double(encoded.count)
    }
}
