extension Script {
    /// The P2SH script paying to `redeemScript`: `OP_HASH160 <hash160(redeemScript)> OP_EQUAL`.
    public static func p2sh(redeemScript: Script) -> Script {
        p2sh(validatedHash: Hashing.hash160(redeemScript.bytes))
    }

    /// The P2SH script for a 20-byte script hash; throws for any other length.
    public static func p2sh(hash160: [UInt8]) throws(ScriptTemplateError) -> Script {
        try requireHashLength(hash160, 20)
        return p2sh(validatedHash: hash160)
    }

    static func p2sh(validatedHash hash: [UInt8]) -> Script {
        Script(bytes: [Opcode.hash160.rawValue, 20] + hash + [Opcode.equal.rawValue])
    }

    /// The script hash of an exact P2SH script (23 bytes: `a9 14 <20> 87`).
    static func matchP2SH(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 23, bytes[0] == Opcode.hash160.rawValue, bytes[1] == 20,
            bytes[22] == Opcode.equal.rawValue
        else { return nil }
        return Array(bytes[2..<22])
    }
}
