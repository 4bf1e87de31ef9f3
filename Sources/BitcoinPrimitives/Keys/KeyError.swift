/// Why a key or signature was refused.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A secret key that is zero, not 32 bytes, or not below the curve order.
    case invalidPrivateKey
    /// Bytes that are not a 33- or 65-byte SEC encoding of a point on the curve.
    case invalidPublicKey
    /// A signature that is not strict (BIP66) DER.
    case nonStrictDER
    /// A signature with S above half the curve order (BIP62 low-S rule).
    case highS
    /// A signature with no sighash byte, or one whose sighash type is not allowed here.
    case invalidSighashType(UInt8?)
    /// A digest to sign that is not 32 bytes long.
    case invalidDigestLength(Int)

    public var description: String {
        switch self {
        case .invalidPrivateKey: return "invalid private key"
        case .invalidPublicKey: return "invalid public key"
        case .nonStrictDER: return "signature is not strict DER"
        case .highS: return "signature has a high S value (not canonical)"
        case .invalidDigestLength(let n): return "a digest to sign must be 32 bytes, not \(n)"
        case .invalidSighashType(let t): return "invalid sighash type \(t.map { String($0) } ?? "(missing)")"
        }
    }
}
