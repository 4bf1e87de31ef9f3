/// A BIP32 extended public key: a compressed public key and a chain code, from which the
/// public keys of normal (non-hardened) children are derived.
public struct ExtendedPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The compressed public key.
    public let publicKey: PublicKey
    /// The 32-byte chain code.
    public let chainCode: [UInt8]
    /// How many derivations from the master key (0 for the master key).
    public let depth: UInt8
    /// The first 4 bytes (big-endian) of the parent's identifier; 0 for the master key.
    public let parentFingerprint: UInt32
    /// The child number this key was derived with; 0 for the master key.
    public let childNumber: ChildNumber

    init(
        validated publicKey: PublicKey, chainCode: [UInt8], depth: UInt8, parentFingerprint: UInt32,
        childNumber: ChildNumber
    ) {
        self.publicKey = publicKey
        self.chainCode = chainCode
        self.depth = depth
        self.parentFingerprint = parentFingerprint
        self.childNumber = childNumber
    }

    /// HASH160 of the public key, the key's BIP32 identifier.
    public var identifier: [UInt8] { publicKey.hash160 }

    /// The first 4 bytes of ``identifier``, big-endian: children record it as their parent's.
    public var fingerprint: UInt32 { identifier.bigEndianUInt32(at: 0) }

    /// The normal child `child`, BIP32's CKDpub; hardened children throw
    /// ``KeyDerivationError/hardenedChildOfPublicKey(_:)``.
    public func derived(_ child: ChildNumber) throws(KeyDerivationError) -> ExtendedPublicKey {
        guard !child.isHardened else { throw .hardenedChildOfPublicKey(child) }
        guard depth < UInt8.max else { throw .depthExceeded }
        var data = publicKey.bytes
        data.appendBigEndian(child.rawValue)
        let digest = Hashing.hmacSHA512(key: chainCode, data: data)
        // child key = parent key + parse256(left half)·G
        guard digest.count == 64, let key = publicKey.adding(tweak: Array(digest[0..<32])) else {
            throw .invalidChild(child)
        }
        return ExtendedPublicKey(
            validated: key, chainCode: Array(digest[32..<64]), depth: depth + 1, parentFingerprint: fingerprint,
            childNumber: child)
    }

    /// The key at `path` (normal children only), its components applied from this key.
    public func derived(_ path: DerivationPath) throws(KeyDerivationError) -> ExtendedPublicKey {
        var key = self
        for child in path.components { key = try key.derived(child) }
        return key
    }

    /// The `xpub…` (mainnet) or `tpub…` (other networks) string.
    public func serialized(network: Network) -> String {
        ExtendedKeySerialization(
            version: network.extendedPublicKeyVersion, depth: depth, parentFingerprint: parentFingerprint,
            childNumber: childNumber, chainCode: chainCode, keyData: publicKey.bytes
        ).encoded()
    }

    /// Parses an `xpub…`/`tpub…` string written for `network`.
    public init(serialized string: String, network: Network) throws(KeyDerivationError) {
        let fields = try ExtendedKeySerialization(decoding: string)
        guard fields.version == network.extendedPublicKeyVersion else { throw .unknownVersion(fields.version) }
        guard fields.keyData[0] == 0x02 || fields.keyData[0] == 0x03, let key = try? PublicKey(bytes: fields.keyData)
        else { throw .invalidKeyData }
        self.init(
            validated: key, chainCode: fields.chainCode, depth: fields.depth,
            parentFingerprint: fields.parentFingerprint,
            childNumber: fields.childNumber)
    }

    /// Depth, child number and public key (the chain code is left out).
    public var description: String {
        "ExtendedPublicKey(depth: \(depth), child: \(childNumber), publicKey: \(publicKey))"
    }
}
