import CShims

/// A secp256k1 secret key.
///
/// The 32 secret bytes live in memory this object owns and are overwritten with zeros when it is
/// freed. They never appear in `description` or `debugDescription`. The matching public key is
/// computed once, at creation.
public final class PrivateKey: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    // Immutable after init; @unchecked Sendable is sound because nothing mutates `secret`
    // until deinit, when no other reference exists.
    private let secret: UnsafeMutablePointer<UInt8>

    /// The public key, compressed unless the key was created otherwise.
    public let publicKey: PublicKey

    /// A key from 32 secret bytes; throws when they are zero or not below the curve order.
    /// - Parameters:
    ///   - secretBytes: the secret, 32 bytes big-endian.
    ///   - compressed: whether ``publicKey`` uses the 33-byte compressed encoding.
    public init(secretBytes: [UInt8], compressed: Bool = true) throws(KeyError) {
        guard secretBytes.count == 32 else { throw .invalidPrivateKey }
        let valid = secretBytes.withUnsafeBufferPointer { paychan_seckey_verify($0.baseAddress) }
        guard valid == 1 else { throw .invalidPrivateKey }
        var pub = [UInt8](repeating: 0, count: 65)
        let length = secretBytes.withUnsafeBufferPointer { sk in
            pub.withUnsafeMutableBufferPointer {
                paychan_pubkey_create(sk.baseAddress, compressed ? 1 : 0, $0.baseAddress)
            }
        }
        guard length > 0, let publicKey = try? PublicKey(bytes: Array(pub.prefix(length))) else {
            throw .invalidPrivateKey
        }
        secret = .allocate(capacity: 32)
        secret.initialize(from: secretBytes, count: 32)
        self.publicKey = publicKey
    }

    deinit {
        paychan_secure_zero(secret, 32)
        secret.deallocate()
    }

    /// Calls `body` with the 32 secret bytes. Do not let them escape.
    public func withSecretBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: secret, count: 32))
    }

    /// A copy of the secret bytes, for key derivation and for writing a seed file. Callers own
    /// the copy and should not keep it longer than needed.
    public func secretBytesCopy() -> [UInt8] { Array(UnsafeBufferPointer(start: secret, count: 32)) }

    /// Signs a 32-byte hash: RFC 6979 nonce, low S, strict DER. Throws
    /// ``KeyError/invalidDigestLength(_:)`` for any other length.
    public func sign(hash: [UInt8]) throws(KeyError) -> ECDSASignature {
        guard hash.count == 32 else { throw .invalidDigestLength(hash.count) }
        return signDigest(hash)
    }

    /// Signs a digest known to be 32 bytes long.
    private func signDigest(_ hash: [UInt8]) -> ECDSASignature {
        var der = [UInt8](repeating: 0, count: 72)
        let length = hash.withUnsafeBufferPointer { h in
            der.withUnsafeMutableBufferPointer { paychan_ecdsa_sign_der(h.baseAddress, secret, $0.baseAddress) }
        }
        // The key was validated at init and the digest is 32 bytes, so signing cannot fail.
        return ECDSASignature(validatedDER: Array(der.prefix(length)))
    }

    /// Signs a sighash and appends the sighash type byte.
    public func sign(sighash: Hash256, type: SighashType) -> TransactionSignature {
        TransactionSignature(signature: signDigest(sighash.internalBytes), sighashType: type)
    }

    public var description: String { "PrivateKey(<redacted>, \(publicKey))" }
    public var debugDescription: String { description }
}
