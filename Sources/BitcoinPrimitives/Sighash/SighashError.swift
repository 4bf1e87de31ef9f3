/// Why a signature hash could not be computed or an input could not be signed.
public enum SighashError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input index is not an index of the transaction's inputs.
    case inputIndexOutOfRange(index: Int, inputCount: Int)
    /// The spent output is not a segwit version 0 witness program of the expected kind.
    case notWitnessV0Program
    /// The witness script does not hash to the spent P2WSH output's program.
    case witnessScriptMismatch
    /// The signing key's HASH160 is not the spent P2WPKH output's program.
    case publicKeyMismatch

    /// A short English explanation of the error.
    public var description: String {
        switch self {
        case .inputIndexOutOfRange(let index, let count):
            return "input index \(index) is out of range (the transaction has \(count) inputs)"
        case .notWitnessV0Program: return "the spent output is not a suitable segwit v0 witness program"
        case .witnessScriptMismatch: return "the witness script does not match the spent P2WSH output"
        case .publicKeyMismatch: return "the key does not match the spent P2WPKH output"
        }
    }
}
