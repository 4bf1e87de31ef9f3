/// The 78-byte BIP32 serialization shared by extended private and public keys: version,
/// depth, parent fingerprint, child number (all big-endian), chain code, and 33 bytes of key
/// data (`00` and the secret, or the compressed public key), written in base58check.
struct ExtendedKeySerialization {
    static let length = 78

    var version: UInt32
    var depth: UInt8
    var parentFingerprint: UInt32
    var childNumber: ChildNumber
    var chainCode: [UInt8]
    var keyData: [UInt8]

    init(
        version: UInt32, depth: UInt8, parentFingerprint: UInt32, childNumber: ChildNumber, chainCode: [UInt8],
        keyData: [UInt8]
    ) {
        self.version = version
        self.depth = depth
        self.parentFingerprint = parentFingerprint
        self.childNumber = childNumber
        self.chainCode = chainCode
        self.keyData = keyData
    }

    /// The base58check string. The temporary payload is wiped (it may hold a secret).
    func encoded() -> String {
        var payload: [UInt8] = []
        payload.reserveCapacity(Self.length)
        payload.appendBigEndian(version)
        payload.append(depth)
        payload.appendBigEndian(parentFingerprint)
        payload.appendBigEndian(childNumber.rawValue)
        payload.append(contentsOf: chainCode)
        payload.append(contentsOf: keyData)
        defer { payload.secureZero() }
        return Base58Check.encode(payload)
    }

    /// Decodes the base58check string and checks its length and the root-key rule (depth 0
    /// needs a zero parent fingerprint and child number). Versions and key data are left to the
    /// caller.
    init(decoding string: String) throws(KeyDerivationError) {
        var payload: [UInt8]
        do {
            payload = try Base58Check.decode(string, maxLength: 120)
        } catch {
            throw .base58(error)
        }
        defer { payload.secureZero() }
        guard payload.count == Self.length else { throw .invalidSerializedLength(payload.count) }
        version = payload.bigEndianUInt32(at: 0)
        depth = payload[4]
        parentFingerprint = payload.bigEndianUInt32(at: 5)
        childNumber = ChildNumber(rawValue: payload.bigEndianUInt32(at: 9))
        chainCode = Array(payload[13..<45])
        keyData = Array(payload[45..<78])
        guard depth != 0 || (parentFingerprint == 0 && childNumber.rawValue == 0) else { throw .invalidRootKey }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// The big-endian value of the 4 bytes at `offset`, which the caller has checked exist.
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        self[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
