/// Why ``ScriptVerifier`` refused a spend. Each case names one rule; the matching Bitcoin
/// Core error (`SCRIPT_ERR_...`) is given where there is one.
public enum ScriptError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: The request

    /// The input index is not an index of the transaction's inputs.
    case inputIndexOutOfRange(index: Int, inputCount: Int)
    /// The number of spent outputs given differs from the number of inputs.
    case spentOutputCountMismatch(inputs: Int, spentOutputs: Int)
    /// Input `index` failed; the inner error says why (from the verify-all-inputs variant).
    indirect case inputFailed(index: Int, ScriptError)

    // MARK: Script structure and limits

    /// A script longer than 10,000 bytes (`SCRIPT_SIZE`).
    case scriptTooLarge(Int)
    /// A push or witness item longer than 520 bytes (`PUSH_SIZE`).
    case pushTooLarge(Int)
    /// More than 201 non-push operations, counting multisig keys (`OP_COUNT`).
    case tooManyOperations
    /// More than 1,000 stack items (`STACK_SIZE`).
    case stackTooLarge
    /// A push that runs past the end of the script (`BAD_OPCODE`).
    case malformedPush
    /// An opcode outside the subset this verifier implements (anywhere in the script, executed
    /// or not).
    case unsupportedOpcode(Opcode)
    /// An upgradable `OP_NOP` with the ``ScriptVerifier/Flags/discourageUpgradableNops`` rule
    /// (`DISCOURAGE_UPGRADABLE_NOPS`).
    case upgradableNop(Opcode)
    /// `OP_RETURN` was executed (`OP_RETURN`).
    case opReturn
    /// `OP_ELSE`/`OP_ENDIF` without `OP_IF`, or an `OP_IF` left open
    /// (`UNBALANCED_CONDITIONAL`).
    case unbalancedConditional
    /// An operation (`OP_IF` included) needed more stack items than there were
    /// (`INVALID_STACK_OPERATION`).
    case invalidStackOperation
    /// An `OP_IF` argument other than empty or `0x01` in a witness script (`MINIMALIF`).
    case minimalIf
    /// A push that does not use the shortest encoding (`MINIMALDATA`).
    case minimalData
    /// A number that is too long or not minimally encoded (`SCRIPTNUM`).
    case invalidScriptNumber

    // MARK: Results

    /// The script finished with an empty stack or a false top item (`EVAL_FALSE`).
    case evalFalse
    /// `OP_VERIFY` found false (`VERIFY`).
    case verifyFailed
    /// `OP_EQUALVERIFY` found different items (`EQUALVERIFY`).
    case equalVerifyFailed
    /// `OP_CHECKSIGVERIFY` found an invalid (empty) signature (`CHECKSIGVERIFY`).
    case checkSigVerifyFailed
    /// `OP_CHECKMULTISIGVERIFY` failed with empty signatures (`CHECKMULTISIGVERIFY`).
    case checkMultisigVerifyFailed
    /// More than one item left on the stack (`CLEANSTACK`).
    case cleanStack

    // MARK: Signatures and keys

    /// A signature that is not strict DER (BIP66) (`SIG_DER`).
    case nonCanonicalSignature
    /// A signature with a high S value (BIP62) (`SIG_HIGH_S`).
    case highS
    /// A sighash type other than 1, 2, 3, 0x81, 0x82, 0x83 (`SIG_HASHTYPE`).
    case undefinedSighashType(UInt8)
    /// A public key that is not a 33-byte compressed or 65-byte uncompressed encoding
    /// (`PUBKEYTYPE`).
    case nonCanonicalPublicKey
    /// An uncompressed public key in a segwit script (`WITNESS_PUBKEYTYPE`).
    case uncompressedPublicKeyInWitness
    /// A non-empty signature that does not verify (`SIG_NULLFAIL`, BIP146): the wrong key,
    /// the wrong sighash type, or a changed transaction.
    case signatureInvalid
    /// The extra `OP_CHECKMULTISIG` argument is not empty (`SIG_NULLDUMMY`, BIP147).
    case nullDummy
    /// A signature also appears in the script it is checked against (`SIG_FINDANDDELETE`).
    case signatureInScriptCode
    /// A multisig key count outside 0...20 (`PUBKEY_COUNT`).
    case publicKeyCount
    /// A multisig signature count outside 0...key count (`SIG_COUNT`).
    case signatureCount

    // MARK: Lock time (BIP65)

    /// `OP_CHECKLOCKTIMEVERIFY` with a negative argument (`NEGATIVE_LOCKTIME`).
    case negativeLockTime
    /// The argument and the transaction lock time are not both heights or both times
    /// (`UNSATISFIED_LOCKTIME`).
    case lockTimeTypeMismatch
    /// The transaction lock time is below the required one (`UNSATISFIED_LOCKTIME`).
    case lockTimeNotReached
    /// The input's sequence is final (0xffffffff), which disables the lock time
    /// (`UNSATISFIED_LOCKTIME`).
    case inputSequenceFinal

    // MARK: P2SH and segwit

    /// A scriptSig with non-push operations where only pushes are allowed (`SIG_PUSHONLY`).
    case scriptSigNotPushOnly
    /// A version 0 witness program that is neither 20 nor 32 bytes
    /// (`WITNESS_PROGRAM_WRONG_LENGTH`).
    case witnessProgramWrongLength
    /// A P2WSH spend with an empty witness (`WITNESS_PROGRAM_WITNESS_EMPTY`).
    case witnessProgramWitnessEmpty
    /// A witness that does not match its program (`WITNESS_PROGRAM_MISMATCH`).
    case witnessProgramMismatch
    /// A native witness spend with a non-empty scriptSig (`WITNESS_MALLEATED`).
    case witnessMalleated
    /// A nested witness spend whose scriptSig is not exactly one push of the redeem script
    /// (`WITNESS_MALLEATED_P2SH`).
    case witnessMalleatedP2SH
    /// Witness data on an input that does not spend a witness program (`WITNESS_UNEXPECTED`).
    case witnessUnexpected
    /// A witness program of a version other than 0 with the
    /// ``ScriptVerifier/Flags/discourageUpgradableWitnessProgram`` rule
    /// (`DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM`).
    case unsupportedWitnessVersion(Int)

    /// A short English explanation of the error.
    public var description: String {
        switch self {
        case .inputIndexOutOfRange(let index, let count):
            return "input index \(index) is out of range (the transaction has \(count) inputs)"
        case .spentOutputCountMismatch(let inputs, let spent):
            return "\(spent) spent outputs given for \(inputs) inputs"
        case .inputFailed(let index, let error): return "input \(index): \(error)"
        case .scriptTooLarge(let size): return "script of \(size) bytes exceeds 10000"
        case .pushTooLarge(let size): return "push of \(size) bytes exceeds 520"
        case .tooManyOperations: return "more than 201 operations"
        case .stackTooLarge: return "more than 1000 stack items"
        case .malformedPush: return "push runs past the end of the script"
        case .unsupportedOpcode(let op): return "unsupported opcode \(op)"
        case .upgradableNop(let op): return "upgradable NOP \(op) is discouraged"
        case .opReturn: return "OP_RETURN executed"
        case .unbalancedConditional: return "unbalanced conditional"
        case .invalidStackOperation: return "operation on too few stack items"
        case .minimalIf: return "OP_IF argument is not minimal (empty or 0x01)"
        case .minimalData: return "push is not minimally encoded"
        case .invalidScriptNumber: return "script number too long or not minimal"
        case .evalFalse: return "script evaluated to false"
        case .verifyFailed: return "OP_VERIFY failed"
        case .equalVerifyFailed: return "OP_EQUALVERIFY failed"
        case .checkSigVerifyFailed: return "OP_CHECKSIGVERIFY failed"
        case .checkMultisigVerifyFailed: return "OP_CHECKMULTISIGVERIFY failed"
        case .cleanStack: return "stack is not clean after execution"
        case .nonCanonicalSignature: return "signature is not strict DER"
        case .highS: return "signature has a high S value"
        case .undefinedSighashType(let byte): return "undefined sighash type 0x\(String(byte, radix: 16))"
        case .nonCanonicalPublicKey: return "public key encoding is not canonical"
        case .uncompressedPublicKeyInWitness: return "uncompressed public key in a witness script"
        case .signatureInvalid: return "signature does not verify"
        case .nullDummy: return "OP_CHECKMULTISIG dummy argument is not empty"
        case .signatureInScriptCode: return "signature found in the script code"
        case .publicKeyCount: return "multisig key count out of range"
        case .signatureCount: return "multisig signature count out of range"
        case .negativeLockTime: return "negative lock time"
        case .lockTimeTypeMismatch: return "lock time type (height or time) differs from the transaction's"
        case .lockTimeNotReached: return "transaction lock time is below the required lock time"
        case .inputSequenceFinal: return "input sequence is final, lock time is disabled"
        case .scriptSigNotPushOnly: return "scriptSig is not push-only"
        case .witnessProgramWrongLength: return "witness v0 program has the wrong length"
        case .witnessProgramWitnessEmpty: return "witness is empty"
        case .witnessProgramMismatch: return "witness does not match the witness program"
        case .witnessMalleated: return "native witness spend has a scriptSig"
        case .witnessMalleatedP2SH: return "nested witness scriptSig is not exactly the redeem script push"
        case .witnessUnexpected: return "unexpected witness data"
        case .unsupportedWitnessVersion(let v): return "witness version \(v) is not supported"
        }
    }
}
