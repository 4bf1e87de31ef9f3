extension Script {
    /// The P2PKH script paying to `publicKey`:
    /// `OP_DUP OP_HASH160 <hash160(key)> OP_EQUALVERIFY OP_CHECKSIG`.
    public static func p2pkh(publicKey: PublicKey) -> Script {
        p2pkh(validatedHash: publicKey.hash160)
    }

    /// The P2PKH script for a 20-byte public key hash; throws for any other length.
    public static func p2pkh(hash160: [UInt8]) throws(ScriptTemplateError) -> Script {
        try requireHashLength(hash160, 20)
        return p2pkh(validatedHash: hash160)
    }

    static func p2pkh(validatedHash hash: [UInt8]) -> Script {
        Script(
            bytes: [Opcode.dup.rawValue, Opcode.hash160.rawValue, 20] + hash
                + [Opcode.equalVerify.rawValue, Opcode.checkSig.rawValue])
    }

    /// The key hash of an exact P2PKH script (25 bytes: `76 a9 14 <20> 88 ac`).
    static func matchP2PKH(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 25, bytes[0] == Opcode.dup.rawValue, bytes[1] == Opcode.hash160.rawValue,
            bytes[2] == 20, bytes[23] == Opcode.equalVerify.rawValue, bytes[24] == Opcode.checkSig.rawValue
        else { return nil }
        return Array(bytes[3..<23])
    }

    /// Throws unless `hash` has exactly `length` bytes.
    static func requireHashLength(_ hash: [UInt8], _ length: Int) throws(ScriptTemplateError) {
        guard hash.count == length else { throw .invalidHashLength(expected: length, actual: hash.count) }
    }
}
