/// Why a BIP32 key could not be derived, parsed or serialized.
public enum KeyDerivationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A seed outside BIP32's 16 to 64 bytes.
    case invalidSeedLength(Int)
    /// The seed gives a master secret of zero or not below the curve order (odds about 2⁻¹²⁷):
    /// use another seed.
    case invalidMasterKey
    /// This child does not exist (its tweak is not below the curve order, or the key would be
    /// zero or infinity; odds about 2⁻¹²⁷). BIP32 says to proceed with the next index.
    case invalidChild(ChildNumber)
    /// A hardened child asked of a public key, which cannot derive one.
    case hardenedChildOfPublicKey(ChildNumber)
    /// An index of 2³¹ or more, which does not fit beside the hardened flag.
    case indexOutOfRange(UInt32)
    /// A derivation deeper than 255 levels, the most the serialization can record.
    case depthExceeded
    /// A path string that is not `m` followed by `/index` components (index, optionally
    /// followed by `'`, `h` or `H` for hardened).
    case invalidPath(String)
    /// A serialized key that is not valid base58check.
    case base58(Base58Error)
    /// A serialized key whose payload is not 78 bytes.
    case invalidSerializedLength(Int)
    /// A version that is not the expected kind of key (private or public) for the network.
    case unknownVersion(UInt32)
    /// A root key (depth 0) with a parent fingerprint or child number other than zero.
    case invalidRootKey
    /// Key data that is not a valid secret key (`00` and 32 bytes in 1...n-1) or compressed
    /// public key.
    case invalidKeyData

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .invalidSeedLength(let length): return "seed of \(length) bytes (16 to 64 required)"
        case .invalidMasterKey: return "the seed gives an invalid master key"
        case .invalidChild(let child): return "child \(child) is invalid; use the next index"
        case .hardenedChildOfPublicKey(let child): return "hardened child \(child) cannot be derived from a public key"
        case .indexOutOfRange(let index): return "child index \(index) is 2^31 or more"
        case .depthExceeded: return "derivation deeper than 255 levels"
        case .invalidPath(let reason): return "invalid derivation path: \(reason)"
        case .base58(let error): return "invalid extended key: \(error)"
        case .invalidSerializedLength(let length): return "extended key of \(length) bytes (78 required)"
        case .unknownVersion(let version): return "unknown extended key version 0x" + String(version, radix: 16)
        case .invalidRootKey: return "root extended key with a parent fingerprint or child number"
        case .invalidKeyData: return "invalid key in extended key"
        }
    }
}
