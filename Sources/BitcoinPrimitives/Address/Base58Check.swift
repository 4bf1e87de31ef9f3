/// Base58check: base58 of a payload followed by the first 4 bytes of its double SHA-256.
public enum Base58Check {
    /// Encodes `payload` (usually a version byte and data) with its checksum.
    public static func encode(_ payload: [UInt8]) -> String {
        Base58.encode(payload + checksum(payload))
    }

    /// Decodes a base58check string and returns the payload without its checksum.
    public static func decode(_ string: String, maxLength: Int = Base58.defaultMaxLength) throws(Base58Error)
        -> [UInt8]
    {
        let bytes = try Base58.decode(string, maxLength: maxLength)
        guard bytes.count >= 4 else { throw .missingChecksum }
        let payload = Array(bytes.dropLast(4))
        guard checksum(payload)[...] == bytes.suffix(4) else { throw .checksumMismatch }
        return payload
    }

    private static func checksum(_ payload: [UInt8]) -> [UInt8] {
        Array(Hashing.sha256d(payload).internalBytes.prefix(4))
    }
}
