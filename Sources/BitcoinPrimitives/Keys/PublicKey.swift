import CShims

/// A secp256k1 public key in SEC encoding: 33 bytes (compressed) or 65 (uncompressed).
///
/// Creation checks the point is on the curve and keeps libsecp256k1's parsed form, so each
/// verification skips re-parsing.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The SEC encoding, exactly as given.
    public let bytes: [UInt8]
    private let parsed: [UInt8]

    /// Parses a 33- or 65-byte SEC public key; throws when it is not a valid point.
    ///
    /// Only the compressed (`02`/`03`) and uncompressed (`04`) forms are accepted; the "hybrid"
    /// forms (`06`/`07`) that libsecp256k1 also parses are refused, as Bitcoin's standardness rules
    /// (`SCRIPT_VERIFY_STRICTENC`) refuse them.
    public init(bytes: [UInt8]) throws(KeyError) {
        // Only the standard SEC prefixes: 02/03 compressed, 04 uncompressed. libsecp256k1 also
        // parses the "hybrid" 06/07 form, which Bitcoin's policy and bitcoinj refuse.
        switch (bytes.count, bytes.first) {
        case (33, 0x02?), (33, 0x03?), (65, 0x04?): break
        default: throw .invalidPublicKey
        }
        switch (bytes.count, bytes.first) {
        case (33, 0x02), (33, 0x03), (65, 0x04): break
        default: throw .invalidPublicKey
        }
        var parsed = [UInt8](repeating: 0, count: Int(PAYCHAN_PUBKEY_PARSED_SIZE))
        let ok = bytes.withUnsafeBufferPointer { input in
            parsed.withUnsafeMutableBufferPointer {
                paychan_pubkey_parse(input.baseAddress, input.count, $0.baseAddress)
            }
        }
        guard ok == 1 else { throw .invalidPublicKey }
        self.bytes = bytes
        self.parsed = parsed
    }

    /// Whether the key is in 33-byte compressed form.
    public var isCompressed: Bool { bytes.count == 33 }

    /// The same point, compressed.
    public var compressed: PublicKey { isCompressed ? self : reencoded(compressed: true) }

    /// The same point, uncompressed.
    public var uncompressed: PublicKey { isCompressed ? reencoded(compressed: false) : self }

    private func reencoded(compressed: Bool) -> PublicKey {
        var out = [UInt8](repeating: 0, count: 65)
        let length = parsed.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                paychan_pubkey_serialize(p.baseAddress, compressed ? 1 : 0, $0.baseAddress)
            }
        }
        return PublicKey(bytes: Array(out.prefix(length)), parsed: parsed)
    }

    private init(bytes: [UInt8], parsed: [UInt8]) {
        self.bytes = bytes
        self.parsed = parsed
    }

    /// `self + tweak·G`, for BIP32 public derivation; `nil` when the tweak is out of range.
    public func adding(tweak: [UInt8]) -> PublicKey? {
        guard tweak.count == 32 else { return nil }
        var p = parsed
        let ok = tweak.withUnsafeBufferPointer { t in
            p.withUnsafeMutableBufferPointer { paychan_pubkey_tweak_add($0.baseAddress, t.baseAddress) }
        }
        guard ok == 1 else { return nil }
        return PublicKey(bytes: [], parsed: p).reencoded(compressed: isCompressed)
    }

    /// HASH160 of the encoding (the payload of P2PKH and P2WPKH).
    public var hash160: [UInt8] { Hashing.hash160(bytes) }

    /// Checks a strict-DER, low-S signature over a 32-byte hash.
    public func verify(_ signature: ECDSASignature, hash: [UInt8]) -> Bool {
        guard hash.count == 32 else { return false }
        let result = signature.der.withUnsafeBufferPointer { der in
            hash.withUnsafeBufferPointer { h in
                parsed.withUnsafeBufferPointer { p in
                    paychan_ecdsa_verify_der_parsed(der.baseAddress, der.count, h.baseAddress, p.baseAddress)
                }
            }
        }
        return result == PAYCHAN_VERIFY_OK
    }

    /// Checks a signature over a sighash.
    public func verify(_ signature: TransactionSignature, sighash: Hash256) -> Bool {
        verify(signature.signature, hash: sighash.internalBytes)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    public var description: String { bytes.hex }
}
