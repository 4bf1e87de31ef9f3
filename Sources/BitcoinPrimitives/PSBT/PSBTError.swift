/// Why a PSBT could not be decoded, or a decoded one could not be used.
public enum PSBTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which map of a PSBT a record belongs to.
    public enum Map: Hashable, Sendable, CustomStringConvertible {
        /// The global map.
        case global
        /// The map of the input at this index.
        case input(Int)
        /// The map of the output at this index.
        case output(Int)

        public var description: String {
            switch self {
            case .global: return "global map"
            case .input(let index): return "input \(index)"
            case .output(let index): return "output \(index)"
            }
        }
    }

    /// The bytes do not start with `psbt` and `0xff`.
    case badMagic
    /// The bytes end early, hold a non-canonical or oversized length, or have bytes after the
    /// last map.
    case malformed(ParseError)
    /// A key appears twice in one map.
    case duplicateKey(Map, key: [UInt8])
    /// A known key type with key data of the wrong form (for example a single-byte key with
    /// data, or a public key of the wrong length).
    case invalidKey(Map, type: UInt64, String)
    /// A known key type whose value is not what the type holds.
    case invalidValue(Map, type: UInt64, String)
    /// The global map has no unsigned transaction.
    case missingUnsignedTransaction
    /// The unsigned transaction has a scriptSig or a witness, or is in the witness form.
    case unsignedTransactionNotBare(String)
    /// A PSBT version other than 0, or a field only version 2 allows.
    case unsupportedVersion(String)
    /// An input has neither a final scriptSig nor a final scriptWitness.
    case inputNotFinalized(Int)

    public var description: String {
        switch self {
        case .badMagic: return "not a PSBT (bad magic)"
        case .malformed(let error): return "malformed PSBT: \(error)"
        case .duplicateKey(let map, let key): return "duplicate key \(key.hex) in the \(map)"
        case .invalidKey(let map, let type, let reason): return "invalid key of type \(type) in the \(map): \(reason)"
        case .invalidValue(let map, let type, let reason):
            return "invalid value of type \(type) in the \(map): \(reason)"
        case .missingUnsignedTransaction: return "the PSBT has no unsigned transaction"
        case .unsignedTransactionNotBare(let reason): return "the PSBT's unsigned transaction \(reason)"
        case .unsupportedVersion(let reason): return "unsupported PSBT: \(reason)"
        case .inputNotFinalized(let index): return "input \(index) of the PSBT is not finalized"
        }
    }
}
