import CShims

/// A BIP32 extended private key: a secret key and a chain code, from which a tree of child
/// keys is derived.
///
/// The secret never appears in `description`; ``serialized(network:)`` is the one way to
/// write it out (an `xprv…`/`tprv…` string, which is as secret as the key).
public struct ExtendedPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret key, with its compressed public key.
    public let privateKey: PrivateKey
    /// The 32-byte chain code.
    public let chainCode: [UInt8]
    /// How many derivations from the master key (0 for the master key).
    public let depth: UInt8
    /// The first 4 bytes (big-endian) of the parent's identifier; 0 for the master key.
    public let parentFingerprint: UInt32
    /// The child number this key was derived with; 0 for the master key.
    public let childNumber: ChildNumber

    private static let seedKey = Array("Bitcoin seed".utf8)

    private init(
        privateKey: PrivateKey, chainCode: [UInt8], depth: UInt8, parentFingerprint: UInt32, childNumber: ChildNumber
    ) {
        self.privateKey = privateKey
        self.chainCode = chainCode
        self.depth = depth
        self.parentFingerprint = parentFingerprint
        self.childNumber = childNumber
    }

    /// The master key of `seed` (16 to 64 bytes): HMAC-SHA512 keyed with "Bitcoin seed", the
    /// left half the secret, the right half the chain code.
    public init(seed: [UInt8]) throws(KeyDerivationError) {
        guard (16...64).contains(seed.count) else { throw .invalidSeedLength(seed.count) }
        var digest = Hashing.hmacSHA512(key: Self.seedKey, data: seed)
        defer { digest.secureZero() }
        guard digest.count == 64 else { throw .invalidMasterKey }
        var secret = Array(digest[0..<32])
        defer { secret.secureZero() }
        guard let key = try? PrivateKey(secretBytes: secret, compressed: true) else { throw .invalidMasterKey }
        self.init(
            privateKey: key, chainCode: Array(digest[32..<64]), depth: 0, parentFingerprint: 0,
            childNumber: ChildNumber(rawValue: 0))
    }

    /// The compressed public key.
    public var publicKey: PublicKey { privateKey.publicKey.compressed }

    /// HASH160 of the compressed public key, the key's BIP32 identifier.
    public var identifier: [UInt8] { publicKey.hash160 }

    /// The first 4 bytes of ``identifier``, big-endian: children record it as their parent's.
    public var fingerprint: UInt32 { identifier.bigEndianUInt32(at: 0) }

    /// The matching extended public key (same chain code, depth and position).
    public var extendedPublicKey: ExtendedPublicKey {
        ExtendedPublicKey(
            validated: publicKey, chainCode: chainCode, depth: depth, parentFingerprint: parentFingerprint,
            childNumber: childNumber)
    }

    /// The child `child` (hardened or normal), BIP32's CKDpriv.
    public func derived(_ child: ChildNumber) throws(KeyDerivationError) -> ExtendedPrivateKey {
        guard depth < UInt8.max else { throw .depthExceeded }
        var data: [UInt8] = []
        data.reserveCapacity(37)
        if child.isHardened {
            data.append(0)
            privateKey.withSecretBytes { data.append(contentsOf: $0) }
        } else {
            data.append(contentsOf: publicKey.bytes)
        }
        data.appendBigEndian(child.rawValue)
        defer { data.secureZero() }
        var digest = Hashing.hmacSHA512(key: chainCode, data: data)
        defer { digest.secureZero() }
        guard digest.count == 64 else { throw .invalidChild(child) }
        // child secret = parse256(left half) + parent secret (mod n)
        var secret = privateKey.secretBytesCopy()
        defer { secret.secureZero() }
        let added = secret.withUnsafeMutableBufferPointer { s in
            digest.withUnsafeBufferPointer { paychan_seckey_tweak_add(s.baseAddress, $0.baseAddress) }
        }
        guard added == 1, let key = try? PrivateKey(secretBytes: secret, compressed: true) else {
            throw .invalidChild(child)
        }
        return ExtendedPrivateKey(
            privateKey: key, chainCode: Array(digest[32..<64]), depth: depth + 1, parentFingerprint: fingerprint,
            childNumber: child)
    }

    /// The key at `path`, its components applied from this key.
    public func derived(_ path: DerivationPath) throws(KeyDerivationError) -> ExtendedPrivateKey {
        var key = self
        for child in path.components { key = try key.derived(child) }
        return key
    }

    /// The `xprv…` (mainnet) or `tprv…` (other networks) string. It reveals the secret.
    public func serialized(network: Network) -> String {
        var keyData: [UInt8] = [0]
        keyData.reserveCapacity(33)
        privateKey.withSecretBytes { keyData.append(contentsOf: $0) }
        defer { keyData.secureZero() }
        return ExtendedKeySerialization(
            version: network.extendedPrivateKeyVersion, depth: depth, parentFingerprint: parentFingerprint,
            childNumber: childNumber, chainCode: chainCode, keyData: keyData
        ).encoded()
    }

    /// Parses an `xprv…`/`tprv…` string written for `network`.
    public init(serialized string: String, network: Network) throws(KeyDerivationError) {
        var fields = try ExtendedKeySerialization(decoding: string)
        defer { fields.keyData.secureZero() }
        guard fields.version == network.extendedPrivateKeyVersion else { throw .unknownVersion(fields.version) }
        var secret = Array(fields.keyData[1...])
        defer { secret.secureZero() }
        guard fields.keyData[0] == 0, let key = try? PrivateKey(secretBytes: secret, compressed: true) else {
            throw .invalidKeyData
        }
        self.init(
            privateKey: key, chainCode: fields.chainCode, depth: fields.depth,
            parentFingerprint: fields.parentFingerprint, childNumber: fields.childNumber)
    }

    /// Depth, child number and public key; never the secret or the chain code.
    public var description: String {
        "ExtendedPrivateKey(depth: \(depth), child: \(childNumber), publicKey: \(publicKey), secret: <redacted>)"
    }

    /// The same as ``description``: the secret stays out of debug output too.
    public var debugDescription: String { description }
}
