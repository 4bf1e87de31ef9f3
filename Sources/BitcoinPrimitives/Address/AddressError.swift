/// Why a string or a script is not an address (of the network asked for).
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The string is not valid base58check.
    case base58(Base58Error)
    /// The string looks like a segwit address but is not valid bech32 or bech32m.
    case bech32(Bech32Error)
    /// A base58 address whose version byte no network uses for P2PKH or P2SH.
    case unknownVersion(UInt8)
    /// A base58 address whose payload is not a version byte and a 20-byte hash.
    case invalidPayloadLength(Int)
    /// A bech32 string whose human-readable part is not that of any network.
    case unknownHumanReadablePart(String)
    /// A segwit address with no data (not even a witness version).
    case missingWitnessVersion
    /// A segwit address whose version or program length is invalid (BIP141).
    case invalidWitnessProgram(ScriptTemplateError)
    /// A segwit address whose program bits do not regroup into whole bytes (BIP173 padding).
    case invalidPadding
    /// A segwit address with the wrong checksum variant for its version: bech32 is for version
    /// 0, bech32m for versions 1 and later (BIP350).
    case wrongChecksumVariant(witnessVersion: UInt8)
    /// A valid address of a different network.
    case networkMismatch(expected: Network)
    /// A script with no address form (not P2PKH, P2SH or a witness program).
    case noAddressForScript

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .base58(let error): return "invalid base58 address: \(error)"
        case .bech32(let error): return "invalid segwit address: \(error)"
        case .unknownVersion(let version): return "unknown address version byte \(version)"
        case .invalidPayloadLength(let length): return "address payload of \(length) bytes (21 required)"
        case .unknownHumanReadablePart(let hrp): return "unknown segwit address prefix \"\(hrp)\""
        case .missingWitnessVersion: return "segwit address without a witness version"
        case .invalidWitnessProgram(let error): return "invalid witness program: \(error)"
        case .invalidPadding: return "segwit address has invalid padding"
        case .wrongChecksumVariant(let version):
            return "witness version \(version) address uses \(version == 0 ? "bech32m" : "bech32"), not "
                + (version == 0 ? "bech32" : "bech32m")
        case .networkMismatch(let expected): return "address is not for \(expected)"
        case .noAddressForScript: return "script has no address form"
        }
    }
}
