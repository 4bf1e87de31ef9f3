import BitcoinPrimitives
import Testing

/// ScriptVerifier on a hand-made P2PKH spend and its mutations.
@Suite struct P2PKHSpendTests {
    let key: PrivateKey
    let spent: TransactionOutput
    let unsigned: Transaction

    init() throws {
        key = try SpendFixtures.key("p2pkh owner")
        spent = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2pkh(key.publicKey))
        unsigned = try SpendFixtures.spending()
    }

    func signature(_ type: SighashType = .all, by signer: PrivateKey? = nil) throws -> [UInt8] {
        try unsigned.signLegacyInput(0, scriptCode: spent.scriptPubKey, key: signer ?? key, type: type).encoded
    }

    func spend(_ scriptSig: Script) -> Transaction {
        var transaction = unsigned
        transaction.inputs[0].scriptSig = scriptSig
        return transaction
    }

    func verify(_ scriptSig: Script, flags: ScriptVerifier.Flags = .standard) throws(ScriptError) {
        try ScriptVerifier.verify(transaction: spend(scriptSig), inputIndex: 0, spentOutput: spent, flags: flags)
    }

    @Test func validSpendVerifies() throws {
        try verify(SpendFixtures.scriptSig([try signature(), key.publicKey.bytes]))
        // Every defined sighash type signs validly.
        for type in [SighashType.none, .single, .allAnyoneCanPay, .noneAnyoneCanPay, .singleAnyoneCanPay] {
            try verify(SpendFixtures.scriptSig([try signature(type), key.publicKey.bytes]))
        }
    }

    @Test func signatureByAnotherKeyIsInvalid() throws {
        let other = try SpendFixtures.key("someone else")
        let sig = try signature(by: other)
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([sig, key.publicKey.bytes]))
        }
        // Presenting the other key instead fails the key hash check.
        #expect(throws: ScriptError.equalVerifyFailed) {
            try verify(SpendFixtures.scriptSig([sig, other.publicKey.bytes]))
        }
    }

    @Test func changedSighashTypeByteIsInvalid() throws {
        var sig = try signature()
        sig[sig.count - 1] = SighashType.none.byte
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([sig, key.publicKey.bytes]))
        }
        sig[sig.count - 1] = 0x04
        #expect(throws: ScriptError.undefinedSighashType(0x04)) {
            try verify(SpendFixtures.scriptSig([sig, key.publicKey.bytes]))
        }
    }

    @Test func highSIsRefused() throws {
        let high = try #require(SignatureMutations.highS(try signature()))
        #expect(throws: ScriptError.highS) { try verify(SpendFixtures.scriptSig([high, key.publicKey.bytes])) }
        // Without the low-S rule the same signature verifies (S is normalized first, as in Core).
        try verify(SpendFixtures.scriptSig([high, key.publicKey.bytes]), flags: .consensus)
    }

    @Test func nonDERIsRefused() throws {
        var sig = try signature()
        sig[0] = 0x31
        #expect(throws: ScriptError.nonCanonicalSignature) {
            try verify(SpendFixtures.scriptSig([sig, key.publicKey.bytes]))
        }
        // A padded R (a superfluous leading zero) is not strict DER either.
        let good = try signature()
        let (r, s) = try #require(SignatureMutations.parseDER(Array(good.dropLast())))
        let paddedR = [UInt8(0x02), UInt8(r.count + 1), 0] + r
        let sPart = [UInt8(0x02), UInt8(s.count)] + s
        let padded = [0x30, UInt8(paddedR.count + sPart.count)] + paddedR + sPart + [0x01]
        #expect(throws: ScriptError.nonCanonicalSignature) {
            try verify(SpendFixtures.scriptSig([padded, key.publicKey.bytes]))
        }
    }

    @Test func changedTransactionInvalidatesTheSignature() throws {
        let sig = try signature()
        var transaction = spend(SpendFixtures.scriptSig([sig, key.publicKey.bytes]))
        transaction.outputs[0].value = SpendFixtures.amount(95_000)
        #expect(throws: ScriptError.signatureInvalid) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
    }

    @Test func extraStackItemBreaksCleanStack() throws {
        let items = [[0x01, 0x02], try signature(), key.publicKey.bytes]
        #expect(throws: ScriptError.cleanStack) { try verify(SpendFixtures.scriptSig(items)) }
        try verify(SpendFixtures.scriptSig(items), flags: .consensus)
    }

    @Test func nonMinimalPushIsRefused() throws {
        let sig = try signature()
        var bytes: [UInt8] = [Opcode.pushData1.rawValue, UInt8(sig.count)] + sig
        bytes += [UInt8(key.publicKey.bytes.count)] + key.publicKey.bytes
        #expect(throws: ScriptError.minimalData) { try verify(Script(bytes: bytes)) }
        try verify(Script(bytes: bytes), flags: .consensus)
    }

    @Test func emptySignatureJustFails() throws {
        #expect(throws: ScriptError.evalFalse) { try verify(SpendFixtures.scriptSig([[], key.publicKey.bytes])) }
    }

    @Test func uncompressedKeysWorkInLegacyButHybridKeysDoNot() throws {
        let uncompressed = try SpendFixtures.key("p2pkh owner", compressed: false)
        let output = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2pkh(uncompressed.publicKey))
        let sig = try unsigned.signLegacyInput(0, scriptCode: output.scriptPubKey, key: uncompressed).encoded
        try ScriptVerifier.verify(
            transaction: spend(SpendFixtures.scriptSig([sig, uncompressed.publicKey.bytes])), inputIndex: 0,
            spentOutput: output)

        var hybrid = uncompressed.publicKey.bytes
        hybrid[0] = 0x06 | (hybrid[64] & 1)
        let hybridOutput = TransactionOutput(
            value: SpendFixtures.amount(100_000),
            scriptPubKey: Script(bytes: [0x76, 0xa9, 0x14] + Hashing.hash160(hybrid) + [0x88, 0xac]))
        #expect(throws: KeyError.invalidPublicKey) { try PublicKey(bytes: hybrid) }
        let hybridSig = try unsigned.signLegacyInput(0, scriptCode: hybridOutput.scriptPubKey, key: uncompressed)
        #expect(throws: ScriptError.nonCanonicalPublicKey) {
            try ScriptVerifier.verify(
                transaction: spend(SpendFixtures.scriptSig([hybridSig.encoded, hybrid])), inputIndex: 0,
                spentOutput: hybridOutput)
        }
    }

    @Test func unsupportedOpcodesAreTyped() throws {
        let sig = try signature()
        let swap = Script(bytes: SpendFixtures.scriptSig([key.publicKey.bytes, sig]).bytes + [0x7c])
        let output = TransactionOutput(
            value: spent.value, scriptPubKey: Script(bytes: [0x7c] + spent.scriptPubKey.bytes))
        #expect(throws: ScriptError.unsupportedOpcode(Opcode(0x7c))) {
            try ScriptVerifier.verify(
                transaction: spend(SpendFixtures.scriptSig([key.publicKey.bytes, sig])), inputIndex: 0,
                spentOutput: output, flags: .consensus)
        }
        #expect(throws: ScriptError.unsupportedOpcode(Opcode(0x7c))) { try verify(swap, flags: .consensus) }
        // Even in a branch that does not execute, and OP_CODESEPARATOR too.
        let unexecuted = Script(bytes: [0x00, 0x63, 0xab, 0x68] + spent.scriptPubKey.bytes)
        #expect(throws: ScriptError.unsupportedOpcode(.codeSeparator)) {
            try ScriptVerifier.verify(
                transaction: spend(SpendFixtures.scriptSig([sig, key.publicKey.bytes])), inputIndex: 0,
                spentOutput: TransactionOutput(value: spent.value, scriptPubKey: unexecuted))
        }
    }

    @Test func badRequestsAreTyped() throws {
        let transaction = spend(SpendFixtures.scriptSig([try signature(), key.publicKey.bytes]))
        #expect(throws: ScriptError.inputIndexOutOfRange(index: 1, inputCount: 1)) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 1, spentOutput: spent)
        }
        #expect(throws: ScriptError.spentOutputCountMismatch(inputs: 1, spentOutputs: 2)) {
            try ScriptVerifier.verify(transaction: transaction, spentOutputs: [spent, spent])
        }
        try ScriptVerifier.verify(transaction: transaction, spentOutputs: [spent])
        var wrong = spent
        wrong.value = SpendFixtures.amount(1)
        wrong.scriptPubKey = SpendFixtures.p2pkh(try SpendFixtures.key("x").publicKey)
        #expect(throws: ScriptError.inputFailed(index: 0, .equalVerifyFailed)) {
            try ScriptVerifier.verify(transaction: transaction, spentOutputs: [wrong])
        }
    }
}
