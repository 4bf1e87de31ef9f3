extension Transaction {
    /// Signs input `inputIndex` the legacy way: the legacy signature hash of `scriptCode` (the
    /// spent scriptPubKey, or the redeem script of a P2SH spend) with `type`, signed with
    /// `key` (RFC 6979, low S).
    /// - Throws: ``SighashError/inputIndexOutOfRange(index:inputCount:)``.
    public func signLegacyInput(
        _ inputIndex: Int, scriptCode: Script, key: PrivateKey, type: SighashType = .all
    ) throws(SighashError) -> TransactionSignature {
        let sighash = try legacySignatureHash(inputIndex: inputIndex, scriptCode: scriptCode, type: type)
        return key.sign(sighash: sighash, type: type)
    }

    /// Signs input `inputIndex` under BIP143 with an explicit script code and amount (for
    /// nested P2SH-P2WPKH / P2SH-P2WSH spends, or to share a ``SighashCache``, use this or
    /// the cache directly).
    /// - Throws: ``SighashError/inputIndexOutOfRange(index:inputCount:)``.
    public func signSegwitV0Input(
        _ inputIndex: Int, scriptCode: Script, amount: Amount, key: PrivateKey, type: SighashType = .all
    ) throws(SighashError) -> TransactionSignature {
        let sighash = try segwitV0SignatureHash(
            inputIndex: inputIndex, scriptCode: scriptCode, amount: amount, type: type)
        return key.sign(sighash: sighash, type: type)
    }

    /// Signs input `inputIndex`, which spends the native segwit v0 output `spentOutput`.
    ///
    /// - For a P2WPKH output leave `witnessScript` out: the output's key hash must be
    ///   HASH160 of `key`'s public key.
    /// - For a P2WSH output pass the witness script; it must hash to the output's program.
    ///
    /// The amount signed is `spentOutput.value`.
    /// - Throws: ``SighashError/notWitnessV0Program``, ``SighashError/publicKeyMismatch``,
    ///   ``SighashError/witnessScriptMismatch`` or
    ///   ``SighashError/inputIndexOutOfRange(index:inputCount:)``.
    public func signSegwitV0Input(
        _ inputIndex: Int, spentOutput: TransactionOutput, witnessScript: Script? = nil, key: PrivateKey,
        type: SighashType = .all
    ) throws(SighashError) -> TransactionSignature {
        guard let (version, program) = ScriptPatterns.witnessProgram(spentOutput.scriptPubKey.bytes), version == 0
        else { throw .notWitnessV0Program }
        let scriptCode: Script
        if let witnessScript {
            guard program.count == 32 else { throw .notWitnessV0Program }
            guard Hashing.sha256(witnessScript.bytes) == program else { throw .witnessScriptMismatch }
            scriptCode = witnessScript
        } else {
            guard program.count == 20, let code = Script.segwitV0ScriptCode(publicKeyHash: program) else {
                throw .notWitnessV0Program
            }
            guard key.publicKey.hash160 == program else { throw .publicKeyMismatch }
            scriptCode = code
        }
        return try signSegwitV0Input(
            inputIndex, scriptCode: scriptCode, amount: spentOutput.value, key: key, type: type)
    }
}
