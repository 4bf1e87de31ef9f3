/// Why a standard script could not be built from the values given.
public enum ScriptTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hash of the wrong size: P2PKH, P2SH and P2WPKH take 20 bytes, P2WSH 32.
    case invalidHashLength(expected: Int, actual: Int)
    /// A witness version outside 0...16.
    case invalidWitnessVersion(Int)
    /// A witness program outside 2...40 bytes, or a version 0 program that is not 20 or 32 bytes.
    case invalidWitnessProgramLength(version: UInt8, length: Int)
    /// A multisig threshold or key count outside `1 <= required <= keys <= 16`.
    case invalidMultisig(required: Int, keys: Int)
    /// A channel expiry outside `0...UInt32.max`, which no lock time can reach.
    case expiryOutOfRange(Int64)

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .invalidHashLength(let expected, let actual):
            return "hash of \(actual) bytes where \(expected) are required"
        case .invalidWitnessVersion(let version):
            return "witness version \(version) is outside 0...16"
        case .invalidWitnessProgramLength(let version, let length):
            return "witness program of \(length) bytes is not valid for version \(version)"
        case .invalidMultisig(let required, let keys):
            return "multisig \(required)-of-\(keys) is outside 1 <= m <= n <= 16"
        case .expiryOutOfRange(let expiry):
            return "channel expiry \(expiry) is outside 0...\(UInt32.max)"
        }
    }
}
