extension Script {
    /// The BIP143 script code of a P2WPKH spend: `OP_DUP OP_HASH160 <publicKeyHash>
    /// OP_EQUALVERIFY OP_CHECKSIG`. Returns `nil` unless `publicKeyHash` is 20 bytes.
    public static func segwitV0ScriptCode(publicKeyHash: [UInt8]) -> Script? {
        guard publicKeyHash.count == 20 else { return nil }
        var builder = ScriptBuilder()
        builder.add(.dup)
        builder.add(.hash160)
        builder.push(publicKeyHash)
        builder.add(.equalVerify)
        builder.add(.checkSig)
        return builder.script
    }
}
