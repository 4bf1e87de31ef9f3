extension Script {
    /// The P2WPKH script paying to `publicKey`: `OP_0 <hash160(key)>`. Segwit policy expects a
    /// compressed key; this builder does not check.
    public static func p2wpkh(publicKey: PublicKey) -> Script {
        WitnessProgram(validated: 0, publicKey.hash160).scriptPubKey
    }

    /// The P2WPKH script for a 20-byte public key hash; throws for any other length.
    public static func p2wpkh(hash160: [UInt8]) throws(ScriptTemplateError) -> Script {
        try requireHashLength(hash160, 20)
        return WitnessProgram(validated: 0, hash160).scriptPubKey
    }
}
