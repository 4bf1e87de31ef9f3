import CShims

extension ScriptInterpreter {
    /// `OP_CHECKSIG` / `OP_CHECKSIGVERIFY`: `<signature> <public key>` → bool.
    mutating func checkSig(
        verify: Bool, script: Script, stack: inout [[UInt8]], _ sigVersion: SigVersion
    ) throws(ScriptError) {
        guard stack.count >= 2 else { throw .invalidStackOperation }
        let signature = stack[stack.count - 2]
        let publicKey = stack[stack.count - 1]
        var scriptCode = script
        if sigVersion == .base { scriptCode = try removingSignatures([signature], from: scriptCode) }
        try checkSignatureEncoding(signature)
        try checkPublicKeyEncoding(publicKey, sigVersion)
        let valid = checker.checkSignature(
            signature, publicKey: publicKey, scriptCode: scriptCode, sigVersion: sigVersion)
        if !valid && flags.contains(.nullFail) && !signature.isEmpty { throw .signatureInvalid }
        stack.removeLast(2)
        if verify {
            guard valid else { throw .checkSigVerifyFailed }
        } else {
            stack.append(valid ? StackValues.true : StackValues.false)
        }
    }

    /// `OP_CHECKMULTISIG` / `OP_CHECKMULTISIGVERIFY`:
    /// `<dummy> <sig 1> … <sig m> <m> <key 1> … <key n> <n>` → bool, with Bitcoin Core's
    /// order of checks (signatures matched to keys in order, stopping once too few keys remain).
    mutating func checkMultisig(
        verify: Bool, script: Script, stack: inout [[UInt8]], _ sigVersion: SigVersion, operationCount: inout Int
    ) throws(ScriptError) {
        let requireMinimal = flags.contains(.minimalData)
        var depth = 1  // items consumed so far, counted from the top
        guard stack.count >= depth else { throw .invalidStackOperation }
        let keyCountValue = try StackValues.number(stack[stack.count - depth], requireMinimal: requireMinimal)
        guard (0...Int64(ScriptLimits.maxPublicKeysPerMultisig)).contains(keyCountValue) else {
            throw .publicKeyCount
        }
        var keyCount = Int(keyCountValue)
        operationCount += keyCount
        guard operationCount <= ScriptLimits.maxOperations else { throw .tooManyOperations }
        depth += 1
        var keyDepth = depth
        // Depth of the last key: items from here up are not signatures (for NULLFAIL).
        var nonSignatureDepth = keyCount + 2
        depth += keyCount
        guard stack.count >= depth else { throw .invalidStackOperation }
        let signatureCountValue = try StackValues.number(stack[stack.count - depth], requireMinimal: requireMinimal)
        guard (0...Int64(keyCount)).contains(signatureCountValue) else { throw .signatureCount }
        var signatureCount = Int(signatureCountValue)
        depth += 1
        var signatureDepth = depth
        depth += signatureCount
        guard stack.count >= depth else { throw .invalidStackOperation }

        var scriptCode = script
        if sigVersion == .base {
            let signatures = (0..<signatureCount).map { stack[stack.count - signatureDepth - $0] }
            scriptCode = try removingSignatures(signatures, from: scriptCode)
        }

        var success = true
        while success && signatureCount > 0 {
            let signature = stack[stack.count - signatureDepth]
            let publicKey = stack[stack.count - keyDepth]
            try checkSignatureEncoding(signature)
            try checkPublicKeyEncoding(publicKey, sigVersion)
            if checker.checkSignature(signature, publicKey: publicKey, scriptCode: scriptCode, sigVersion: sigVersion) {
                signatureDepth += 1
                signatureCount -= 1
            }
            keyDepth += 1
            keyCount -= 1
            if signatureCount > keyCount { success = false }
        }

        // Pop the arguments; on failure with NULLFAIL every signature must be empty.
        while depth > 1 {
            depth -= 1
            if !success && flags.contains(.nullFail) && nonSignatureDepth == 0,
                let top = stack.last, !top.isEmpty
            {
                throw .signatureInvalid
            }
            if nonSignatureDepth > 0 { nonSignatureDepth -= 1 }
            stack.removeLast()
        }
        // The extra argument consumed by the historical off-by-one.
        guard let dummy = stack.popLast() else { throw .invalidStackOperation }
        if flags.contains(.nullDummy) && !dummy.isEmpty { throw .nullDummy }
        if verify {
            guard success else { throw .checkMultisigVerifyFailed }
        } else {
            stack.append(success ? StackValues.true : StackValues.false)
        }
    }

    /// Core's `FindAndDelete` of each signature's push from a legacy script code; with
    /// ``ScriptVerifier/Flags/constScriptCode`` finding one is an error.
    private func removingSignatures(_ signatures: [[UInt8]], from scriptCode: Script) throws(ScriptError) -> Script {
        var bytes = scriptCode.bytes
        for signature in signatures {
            let (result, found) = Self.findAndDelete(ScriptPatterns.serializedPush(signature), in: bytes)
            if found > 0 && flags.contains(.constScriptCode) { throw .signatureInScriptCode }
            bytes = result
        }
        return Script(bytes: bytes)
    }

    /// Removes every occurrence of `pattern` that starts at an operation boundary (and any
    /// immediate repeats), stopping at the first malformed push. Returns the script and the
    /// number of occurrences removed.
    static func findAndDelete(_ pattern: [UInt8], in script: [UInt8]) -> ([UInt8], Int) {
        guard !pattern.isEmpty else { return (script, 0) }
        var result: [UInt8] = []
        var found = 0
        var cursor = ScriptCursor(script)
        var copiedUpTo = 0
        while true {
            var position = cursor.position
            result.append(contentsOf: script[copiedUpTo..<position])
            while script.count - position >= pattern.count
                && script[position..<position + pattern.count].elementsEqual(pattern)
            {
                position += pattern.count
                found += 1
            }
            copiedUpTo = position
            // Continue from after the removed matches.
            cursor = ScriptCursor(script, position: position)
            guard !cursor.isAtEnd, (try? cursor.next()) != nil else { break }
        }
        guard found > 0 else { return (script, 0) }
        result.append(contentsOf: script[copiedUpTo...])
        return (result, found)
    }

    /// Core's `CheckSignatureEncoding`: empty is allowed (it just fails); otherwise strict DER,
    /// low S and a defined sighash type, as the flags require.
    func checkSignatureEncoding(_ signature: [UInt8]) throws(ScriptError) {
        guard !signature.isEmpty else { return }
        let der = Array(signature.dropLast())
        if !flags.isDisjoint(with: [.derSignatures, .lowS, .strictEncoding]) && !ECDSASignature.isStrictDER(der) {
            throw .nonCanonicalSignature
        }
        if flags.contains(.lowS) {
            let lowS = der.withUnsafeBufferPointer { paychan_ecdsa_der_is_low_s($0.baseAddress, $0.count) }
            guard lowS == 1 else { throw .highS }
        }
        if flags.contains(.strictEncoding), let type = signature.last, !(1...3).contains(type & ~0x80) {
            throw .undefinedSighashType(type)
        }
    }

    /// Core's `CheckPubKeyEncoding`.
    func checkPublicKeyEncoding(_ key: [UInt8], _ sigVersion: SigVersion) throws(ScriptError) {
        let compressed = key.count == 33 && (key[0] == 0x02 || key[0] == 0x03)
        let uncompressed = key.count == 65 && key[0] == 0x04
        if flags.contains(.strictEncoding) && !compressed && !uncompressed { throw .nonCanonicalPublicKey }
        if flags.contains(.witnessPublicKeyType) && sigVersion == .witnessV0 && !compressed {
            throw .uncompressedPublicKeyInWitness
        }
    }
}
