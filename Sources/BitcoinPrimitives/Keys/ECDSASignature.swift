import CShims

/// An ECDSA signature in strict (BIP66) DER with a low S value (BIP62), without a sighash byte.
///
/// Only canonical signatures can be constructed; anything else is refused with ``KeyError``.
public struct ECDSASignature: Hashable, Sendable {
    /// The DER encoding.
    public let der: [UInt8]

    /// Accepts a strict-DER, low-S signature.
    public init(der: [UInt8]) throws(KeyError) {
        let lowS = der.withUnsafeBufferPointer { paychan_ecdsa_der_is_low_s($0.baseAddress, $0.count) }
        switch lowS {
        case 1: self.der = der
        case 0: throw .highS
        default: throw .nonStrictDER
        }
    }

    init(validatedDER: [UInt8]) { der = validatedDER }

    /// Whether `der` is strict DER (ignoring the S value).
    public static func isStrictDER(_ der: [UInt8]) -> Bool {
        der.withUnsafeBufferPointer { paychan_is_strict_der($0.baseAddress, $0.count) } == 1
    }
}
