/// Verifies that transaction inputs satisfy the outputs they spend.
///
/// A small, strict interpreter for the script Paychan's templates use: pushes, `OP_0`,
/// `OP_1NEGATE`, `OP_1`…`OP_16`, `OP_NOP`, `OP_IF`/`OP_NOTIF`/`OP_ELSE`/`OP_ENDIF`,
/// `OP_VERIFY`, `OP_RETURN`, `OP_DROP`, `OP_DUP`, `OP_EQUAL`, `OP_EQUALVERIFY`,
/// `OP_RIPEMD160`, `OP_SHA256`, `OP_HASH160`, `OP_HASH256`, `OP_CHECKSIG(VERIFY)`,
/// `OP_CHECKMULTISIG(VERIFY)`, `OP_CHECKLOCKTIMEVERIFY` (BIP65) and the upgradable NOPs; P2SH
/// (BIP16) and segwit version 0 P2WPKH / P2WSH, native or nested (BIP141/143). Any other
/// opcode, anywhere in a script, fails with ``ScriptError/unsupportedOpcode(_:)``, and so
/// does `OP_CODESEPARATOR`.
///
/// With the default ``Flags/standard`` rules it also requires strict DER, low-S signatures
/// with defined sighash types, canonical (and, in segwit, compressed) public keys, minimal
/// pushes and numbers, minimal `OP_IF` arguments in segwit, an empty multisig dummy, empty
/// failed signatures, a push-only P2SH scriptSig and a clean stack.
public struct ScriptVerifier: Sendable {
    /// The rules applied.
    public let flags: Flags

    /// A verifier applying `flags`.
    public init(flags: Flags = .standard) {
        self.flags = flags
    }

    /// Checks that input `inputIndex` of `transaction` spends `spentOutput` validly.
    /// - Throws: a ``ScriptError`` naming the first rule broken.
    public static func verify(
        transaction: Transaction, inputIndex: Int, spentOutput: TransactionOutput, flags: Flags = .standard
    ) throws(ScriptError) {
        try ScriptVerifier(flags: flags).verify(
            transaction: transaction, inputIndex: inputIndex, spentOutput: spentOutput)
    }

    /// Checks every input of `transaction` against the outputs it spends (in input order),
    /// sharing the BIP143 hashes between inputs.
    /// - Throws: ``ScriptError/spentOutputCountMismatch(inputs:spentOutputs:)``, or
    ///   ``ScriptError/inputFailed(index:_:)`` wrapping the first failing input's error.
    public static func verify(
        transaction: Transaction, spentOutputs: [TransactionOutput], flags: Flags = .standard
    ) throws(ScriptError) {
        try ScriptVerifier(flags: flags).verify(transaction: transaction, spentOutputs: spentOutputs)
    }

    /// Checks that input `inputIndex` of `transaction` spends `spentOutput` validly.
    public func verify(transaction: Transaction, inputIndex: Int, spentOutput: TransactionOutput) throws(ScriptError) {
        var cache = SighashCache(transaction: transaction)
        try verify(cache: &cache, inputIndex: inputIndex, spentOutput: spentOutput)
    }

    /// Checks every input of `transaction` against the outputs it spends (in input order).
    public func verify(transaction: Transaction, spentOutputs: [TransactionOutput]) throws(ScriptError) {
        guard spentOutputs.count == transaction.inputs.count else {
            throw .spentOutputCountMismatch(inputs: transaction.inputs.count, spentOutputs: spentOutputs.count)
        }
        var cache = SighashCache(transaction: transaction)
        for (index, spentOutput) in spentOutputs.enumerated() {
            do {
                try verify(cache: &cache, inputIndex: index, spentOutput: spentOutput)
            } catch {
                throw .inputFailed(index: index, error)
            }
        }
    }

    /// Bitcoin Core's `VerifyScript` for one input.
    private func verify(cache: inout SighashCache, inputIndex: Int, spentOutput: TransactionOutput) throws(ScriptError)
    {
        let transaction = cache.transaction
        guard transaction.inputs.indices.contains(inputIndex) else {
            throw .inputIndexOutOfRange(index: inputIndex, inputCount: transaction.inputs.count)
        }
        let input = transaction.inputs[inputIndex]
        let scriptSig = input.scriptSig
        let scriptPubKey = spentOutput.scriptPubKey
        var interpreter = ScriptInterpreter(
            flags: flags,
            checker: TransactionSignatureChecker(cache: cache, inputIndex: inputIndex, amount: spentOutput.value))
        // Hand the (possibly filled) cache back to the caller whatever happens.
        defer { cache = interpreter.checker.cache }

        if flags.contains(.sigPushOnly) && !scriptSig.isPushOnly { throw .scriptSigNotPushOnly }

        var stack: [[UInt8]] = []
        try interpreter.evaluate(scriptSig, stack: &stack, sigVersion: .base)
        let stackAfterScriptSig = stack
        try interpreter.evaluate(scriptPubKey, stack: &stack, sigVersion: .base)
        guard let top = stack.last, StackValues.isTrue(top) else { throw .evalFalse }

        var hadWitness = false
        if flags.contains(.witness), let (version, program) = ScriptPatterns.witnessProgram(scriptPubKey.bytes) {
            hadWitness = true
            guard scriptSig.isEmpty else { throw .witnessMalleated }
            try verifyWitnessProgram(
                version: version, program: program, witness: input.witness, interpreter: &interpreter)
            stack = [top]
        }

        if flags.contains(.p2sh) && ScriptPatterns.isPayToScriptHash(scriptPubKey.bytes) {
            guard scriptSig.isPushOnly else { throw .scriptSigNotPushOnly }
            stack = stackAfterScriptSig
            // Cannot be empty: HASH160 on an empty stack would have failed above.
            guard let serializedRedeemScript = stack.popLast() else { throw .invalidStackOperation }
            let redeemScript = Script(bytes: serializedRedeemScript)
            try interpreter.evaluate(redeemScript, stack: &stack, sigVersion: .base)
            guard let redeemTop = stack.last, StackValues.isTrue(redeemTop) else { throw .evalFalse }

            if flags.contains(.witness), let (version, program) = ScriptPatterns.witnessProgram(redeemScript.bytes) {
                hadWitness = true
                guard scriptSig.bytes == ScriptPatterns.serializedPush(redeemScript.bytes) else {
                    throw .witnessMalleatedP2SH
                }
                try verifyWitnessProgram(
                    version: version, program: program, witness: input.witness, interpreter: &interpreter)
                stack = [redeemTop]
            }
        }

        if flags.contains(.cleanStack) && stack.count != 1 { throw .cleanStack }
        if flags.contains(.witness) && !hadWitness && !input.witness.isEmpty { throw .witnessUnexpected }
    }

    /// Bitcoin Core's `VerifyWitnessProgram` for version 0 (P2WPKH and P2WSH).
    private func verifyWitnessProgram(
        version: Int, program: [UInt8], witness: [[UInt8]], interpreter: inout ScriptInterpreter
    ) throws(ScriptError) {
        guard version == 0 else {
            if flags.contains(.discourageUpgradableWitnessProgram) { throw .unsupportedWitnessVersion(version) }
            return
        }
        var stack = witness
        let script: Script
        switch program.count {
        case 32:
            guard let witnessScript = stack.popLast() else { throw .witnessProgramWitnessEmpty }
            guard Hashing.sha256(witnessScript) == program else { throw .witnessProgramMismatch }
            script = Script(bytes: witnessScript)
        case 20:
            guard stack.count == 2 else { throw .witnessProgramMismatch }
            // The P2WPKH program is a 20-byte key hash, so the script code always exists.
            guard let scriptCode = Script.segwitV0ScriptCode(publicKeyHash: program) else {
                throw .witnessProgramWrongLength
            }
            script = scriptCode
        default:
            throw .witnessProgramWrongLength
        }
        for item in stack where item.count > ScriptLimits.maxElementSize { throw .pushTooLarge(item.count) }
        try interpreter.evaluate(script, stack: &stack, sigVersion: .witnessV0)
        // Witness scripts always require a clean stack.
        guard stack.count == 1 else { throw .cleanStack }
        guard let top = stack.last, StackValues.isTrue(top) else { throw .evalFalse }
    }
}
