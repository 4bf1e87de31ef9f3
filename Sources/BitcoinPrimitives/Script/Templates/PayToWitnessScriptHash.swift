extension Script {
    /// The P2WSH script paying to `witnessScript`: `OP_0 <sha256(witnessScript)>`.
    public static func p2wsh(witnessScript: Script) -> Script {
        WitnessProgram(validated: 0, Hashing.sha256(witnessScript.bytes)).scriptPubKey
    }

    /// The P2WSH script for a 32-byte script hash; throws for any other length.
    public static func p2wsh(sha256: [UInt8]) throws(ScriptTemplateError) -> Script {
        try requireHashLength(sha256, 32)
        return WitnessProgram(validated: 0, sha256).scriptPubKey
    }
}
