/// Executes scripts of the supported subset on a stack (Bitcoin Core's `EvalScript`).
struct ScriptInterpreter {
    let flags: ScriptVerifier.Flags
    var checker: TransactionSignatureChecker

    /// Whether `opcode` is in the subset this interpreter implements.
    static func isSupported(_ opcode: UInt8) -> Bool {
        switch opcode {
        case 0x00...0x4f, 0x51...0x61: return true  // pushes, OP_1NEGATE, OP_1…OP_16, OP_NOP
        case 0x63, 0x64, 0x67, 0x68, 0x69, 0x6a: return true  // IF NOTIF ELSE ENDIF VERIFY RETURN
        case 0x75, 0x76, 0x87, 0x88: return true  // DROP DUP EQUAL EQUALVERIFY
        case 0xa6, 0xa8, 0xa9, 0xaa: return true  // RIPEMD160 SHA256 HASH160 HASH256
        case 0xac...0xaf: return true  // CHECKSIG(VERIFY) CHECKMULTISIG(VERIFY)
        case 0xb0, 0xb1, 0xb3...0xb9: return true  // NOP1 CHECKLOCKTIMEVERIFY NOP4…NOP10
        default: return false
        }
    }

    /// Runs `script` on `stack`.
    mutating func evaluate(_ script: Script, stack: inout [[UInt8]], sigVersion: SigVersion) throws(ScriptError) {
        guard script.count <= ScriptLimits.maxScriptSize else { throw .scriptTooLarge(script.count) }
        let requireMinimal = flags.contains(.minimalData)
        var cursor = ScriptCursor(script.bytes)
        // One entry per open OP_IF: whether its current branch executes.
        var conditions: [Bool] = []
        var falseConditions = 0
        var operationCount = 0

        while !cursor.isAtEnd {
            let executing = falseConditions == 0
            let (opcode, data) = try cursor.next()
            if let data, data.count > ScriptLimits.maxElementSize { throw .pushTooLarge(data.count) }
            if opcode > Opcode.op16.rawValue {
                operationCount += 1
                if operationCount > ScriptLimits.maxOperations { throw .tooManyOperations }
            }
            guard Self.isSupported(opcode) else { throw .unsupportedOpcode(Opcode(opcode)) }

            if let data {
                if executing {
                    if requireMinimal && !StackValues.isMinimalPush(opcode: opcode, data: data) { throw .minimalData }
                    stack.append(data)
                }
            } else if executing || (Opcode.if.rawValue...Opcode.endIf.rawValue).contains(opcode) {
                switch opcode {
                case Opcode.if.rawValue, Opcode.notIf.rawValue:
                    var value = false
                    if executing {
                        // An empty stack here is an invalid stack operation (as in the
                        // shared script_tests.json vectors).
                        guard let top = stack.last else { throw .invalidStackOperation }
                        if sigVersion == .witnessV0 && flags.contains(.minimalIf) {
                            guard top.isEmpty || top == [1] else { throw .minimalIf }
                        }
                        value = StackValues.isTrue(top) != (opcode == Opcode.notIf.rawValue)
                        stack.removeLast()
                    }
                    conditions.append(value)
                    if !value { falseConditions += 1 }
                case Opcode.else.rawValue:
                    guard let last = conditions.popLast() else { throw .unbalancedConditional }
                    falseConditions += last ? 1 : -1
                    conditions.append(!last)
                case Opcode.endIf.rawValue:
                    guard let last = conditions.popLast() else { throw .unbalancedConditional }
                    if !last { falseConditions -= 1 }
                default:
                    try execute(
                        opcode, script: script, stack: &stack, sigVersion: sigVersion,
                        operationCount: &operationCount)
                }
            }
            if stack.count > ScriptLimits.maxStackSize { throw .stackTooLarge }
        }
        guard conditions.isEmpty else { throw .unbalancedConditional }
    }

    /// Executes one non-push, non-conditional opcode.
    private mutating func execute(
        _ opcode: UInt8, script: Script, stack: inout [[UInt8]], sigVersion: SigVersion, operationCount: inout Int
    ) throws(ScriptError) {
        switch opcode {
        case Opcode.op1Negate.rawValue, Opcode.op1.rawValue...Opcode.op16.rawValue:
            stack.append(ScriptNumber.encode(Int64(opcode) - 0x50))
        case Opcode.nop.rawValue:
            break
        case 0xb0, 0xb3...0xb9:
            if flags.contains(.discourageUpgradableNops) { throw .upgradableNop(Opcode(opcode)) }
        case Opcode.checkLockTimeVerify.rawValue:
            guard flags.contains(.checkLockTimeVerify) else {
                if flags.contains(.discourageUpgradableNops) { throw .upgradableNop(Opcode(opcode)) }
                return
            }
            guard let top = stack.last else { throw .invalidStackOperation }
            // Five bytes: lock times reach 2^32 - 1, beyond the usual four-byte numbers.
            let lockTime = try StackValues.number(top, requireMinimal: flags.contains(.minimalData), maxLength: 5)
            guard lockTime >= 0 else { throw .negativeLockTime }
            try checker.checkLockTime(lockTime)
        case Opcode.verify.rawValue:
            guard let top = stack.last else { throw .invalidStackOperation }
            guard StackValues.isTrue(top) else { throw .verifyFailed }
            stack.removeLast()
        case Opcode.return.rawValue:
            throw .opReturn
        case Opcode.drop.rawValue:
            guard stack.popLast() != nil else { throw .invalidStackOperation }
        case Opcode.dup.rawValue:
            guard let top = stack.last else { throw .invalidStackOperation }
            stack.append(top)
        case Opcode.equal.rawValue, Opcode.equalVerify.rawValue:
            guard stack.count >= 2 else { throw .invalidStackOperation }
            let equal = stack[stack.count - 1] == stack[stack.count - 2]
            stack.removeLast(2)
            if opcode == Opcode.equalVerify.rawValue {
                guard equal else { throw .equalVerifyFailed }
            } else {
                stack.append(equal ? StackValues.true : StackValues.false)
            }
        case Opcode.ripemd160.rawValue, Opcode.sha256.rawValue, Opcode.hash160.rawValue, Opcode.hash256.rawValue:
            guard let top = stack.popLast() else { throw .invalidStackOperation }
            switch opcode {
            case Opcode.ripemd160.rawValue: stack.append(Hashing.ripemd160(top))
            case Opcode.sha256.rawValue: stack.append(Hashing.sha256(top))
            case Opcode.hash160.rawValue: stack.append(Hashing.hash160(top))
            default: stack.append(Hashing.sha256d(top).internalBytes)
            }
        case Opcode.checkSig.rawValue, Opcode.checkSigVerify.rawValue:
            try checkSig(verify: opcode == Opcode.checkSigVerify.rawValue, script: script, stack: &stack, sigVersion)
        case Opcode.checkMultisig.rawValue, Opcode.checkMultisigVerify.rawValue:
            try checkMultisig(
                verify: opcode == Opcode.checkMultisigVerify.rawValue, script: script, stack: &stack, sigVersion,
                operationCount: &operationCount)
        default:
            throw .unsupportedOpcode(Opcode(opcode))
        }
    }
}
