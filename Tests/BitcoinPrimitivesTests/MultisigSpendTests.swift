import BitcoinPrimitives
import Testing

/// ScriptVerifier on 2-of-2 multisig, bare (bitcoinj's v1 contract) and in P2SH.
@Suite struct MultisigSpendTests {
    let first: PrivateKey
    let second: PrivateKey
    let redeem: Script
    let unsigned: Transaction

    init() throws {
        first = try SpendFixtures.key("multisig one")
        second = try SpendFixtures.key("multisig two")
        redeem = SpendFixtures.multisig2of2(first.publicKey, second.publicKey)
        unsigned = try SpendFixtures.spending()
    }

    func signatures(_ type: SighashType = .all) throws -> ([UInt8], [UInt8]) {
        (
            try unsigned.signLegacyInput(0, scriptCode: redeem, key: first, type: type).encoded,
            try unsigned.signLegacyInput(0, scriptCode: redeem, key: second, type: type).encoded
        )
    }

    func verify(_ scriptSig: Script, scriptPubKey: Script, flags: ScriptVerifier.Flags = .standard) throws(ScriptError)
    {
        var transaction = unsigned
        transaction.inputs[0].scriptSig = scriptSig
        let spent = TransactionOutput(value: SpendFixtures.amount(100_000), scriptPubKey: scriptPubKey)
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent, flags: flags)
    }

    @Test func bareMultisigVerifies() throws {
        let (a, b) = try signatures()
        try verify(SpendFixtures.scriptSig([[], a, b]), scriptPubKey: redeem)
        // bitcoinj's v1 refund: client ALL, server NONE|ANYONECANPAY.
        let noneACP = try unsigned.signLegacyInput(0, scriptCode: redeem, key: second, type: .noneAnyoneCanPay)
        try verify(SpendFixtures.scriptSig([[], a, noneACP.encoded]), scriptPubKey: redeem)
    }

    @Test func bareMultisigMutations() throws {
        let (a, b) = try signatures()
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([[], b, a]), scriptPubKey: redeem)
        }
        #expect(throws: ScriptError.nullDummy) {
            try verify(SpendFixtures.scriptSig([[1], a, b]), scriptPubKey: redeem)
        }
        try verify(SpendFixtures.scriptSig([[1], a, b]), scriptPubKey: redeem, flags: [.p2sh])
        #expect(throws: ScriptError.invalidStackOperation) {
            try verify(SpendFixtures.scriptSig([a, b]), scriptPubKey: redeem)
        }
        #expect(throws: ScriptError.cleanStack) {
            try verify(SpendFixtures.scriptSig([[], [], a, b]), scriptPubKey: redeem)
        }
        let high = try #require(SignatureMutations.highS(b))
        #expect(throws: ScriptError.highS) { try verify(SpendFixtures.scriptSig([[], a, high]), scriptPubKey: redeem) }
        // Only one valid signature: the failed one must be empty (NULLFAIL) ...
        let other = try unsigned.signLegacyInput(0, scriptCode: redeem, key: try SpendFixtures.key("x")).encoded
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([[], a, other]), scriptPubKey: redeem)
        }
        // ... even the valid one: NULLFAIL wants every signature empty when the check fails ...
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([[], a, []]), scriptPubKey: redeem)
        }
        // ... and with only empty signatures the script just evaluates to false.
        #expect(throws: ScriptError.evalFalse) {
            try verify(SpendFixtures.scriptSig([[], [], []]), scriptPubKey: redeem)
        }
    }

    @Test func p2shMultisigVerifies() throws {
        let (a, b) = try signatures()
        let p2sh = SpendFixtures.p2sh(redeem)
        try verify(SpendFixtures.scriptSig([[], a, b, redeem.bytes]), scriptPubKey: p2sh)
        let (sa, sb) = try signatures(.singleAnyoneCanPay)
        try verify(SpendFixtures.scriptSig([[], sa, sb, redeem.bytes]), scriptPubKey: p2sh)
    }

    @Test func p2shMutations() throws {
        let (a, b) = try signatures()
        let p2sh = SpendFixtures.p2sh(redeem)
        // A scriptSig with a non-push operation.
        let nonPush = Script(
            bytes: SpendFixtures.scriptSig([[], a, b]).bytes + [0x61] + SpendFixtures.scriptSig([redeem.bytes]).bytes)
        #expect(throws: ScriptError.scriptSigNotPushOnly) { try verify(nonPush, scriptPubKey: p2sh) }
        // The wrong redeem script does not hash to the output.
        let otherRedeem = SpendFixtures.multisig2of2(second.publicKey, first.publicKey)
        #expect(throws: ScriptError.evalFalse) {
            try verify(SpendFixtures.scriptSig([[], a, b, otherRedeem.bytes]), scriptPubKey: p2sh)
        }
        // Signatures over the wrong script code (the P2SH output instead of the redeem script).
        let wrongA = try unsigned.signLegacyInput(0, scriptCode: p2sh, key: first).encoded
        #expect(throws: ScriptError.signatureInvalid) {
            try verify(SpendFixtures.scriptSig([[], wrongA, b, redeem.bytes]), scriptPubKey: p2sh)
        }
    }
}
