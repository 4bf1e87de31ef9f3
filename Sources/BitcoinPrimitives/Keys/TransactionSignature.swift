/// A signature as it appears in a script: strict DER, low S, then one sighash-type byte.
public struct TransactionSignature: Hashable, Sendable {
    /// The ECDSA signature (strict DER, low S).
    public let signature: ECDSASignature
    /// The sighash type byte appended to it.
    public let sighashType: SighashType

    /// A signature with the sighash type it was made with.
    public init(signature: ECDSASignature, sighashType: SighashType) {
        self.signature = signature
        self.sighashType = sighashType
    }

    /// Parses DER plus sighash byte. Refuses non-strict DER, high S, and sighash types outside
    /// the six defined ones.
    public init(encoded: [UInt8]) throws(KeyError) {
        guard let last = encoded.last else { throw .invalidSighashType(nil) }
        let type = SighashType(rawValue: UInt32(last))
        guard type.isDefined else { throw .invalidSighashType(last) }
        signature = try ECDSASignature(der: Array(encoded.dropLast()))
        sighashType = type
    }

    /// DER followed by the sighash byte.
    public var encoded: [UInt8] { signature.der + [sighashType.byte] }
}
