import BitcoinPrimitives
import Testing

/// ScriptVerifier on hand-made P2WPKH, P2WSH and nested P2SH-P2WPKH spends.
@Suite struct SegwitSpendTests {
    let key: PrivateKey
    let unsigned: Transaction

    init() throws {
        key = try SpendFixtures.key("segwit owner")
        unsigned = try SpendFixtures.spending()
    }

    func p2wpkhSpend(
        witness: (([UInt8], [UInt8]) -> [[UInt8]])? = nil
    ) throws -> (Transaction, TransactionOutput) {
        let spent = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2wpkh(key.publicKey))
        let sig = try unsigned.signSegwitV0Input(0, spentOutput: spent, key: key).encoded
        var transaction = unsigned
        transaction.inputs[0].witness = witness?(sig, key.publicKey.bytes) ?? [sig, key.publicKey.bytes]
        return (transaction, spent)
    }

    @Test func p2wpkhVerifies() throws {
        let (transaction, spent) = try p2wpkhSpend()
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        // The round trip through BIP144 bytes keeps it valid.
        let reparsed = try Transaction(bytes: transaction.serialized)
        try ScriptVerifier.verify(transaction: reparsed, inputIndex: 0, spentOutput: spent)
    }

    @Test func p2wpkhCommitsToTheAmount() throws {
        let (transaction, spent) = try p2wpkhSpend()
        var other = spent
        other.value = SpendFixtures.amount(100_001)
        #expect(throws: ScriptError.signatureInvalid) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: other)
        }
    }

    @Test func p2wpkhMutations() throws {
        var (transaction, spent) = try p2wpkhSpend()
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([[1]])
        #expect(throws: ScriptError.witnessMalleated) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        (transaction, spent) = try p2wpkhSpend { sig, key in [[], sig, key] }
        #expect(throws: ScriptError.witnessProgramMismatch) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        (transaction, spent) = try p2wpkhSpend { sig, key in [SignatureMutations.highS(sig) ?? [], key] }
        #expect(throws: ScriptError.highS) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        // A witness on a legacy output is unexpected.
        let legacy = TransactionOutput(value: spent.value, scriptPubKey: SpendFixtures.p2pkh(key.publicKey))
        var withBoth = transaction
        withBoth.inputs[0].scriptSig = SpendFixtures.scriptSig([
            try unsigned.signLegacyInput(0, scriptCode: legacy.scriptPubKey, key: key).encoded, key.publicKey.bytes,
        ])
        #expect(throws: ScriptError.witnessUnexpected) {
            try ScriptVerifier.verify(transaction: withBoth, inputIndex: 0, spentOutput: legacy)
        }
    }

    @Test func uncompressedKeyIsRefusedInWitness() throws {
        let uncompressed = try SpendFixtures.key("segwit owner", compressed: false)
        let spent = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2wpkh(uncompressed.publicKey))
        var transaction = unsigned
        let sig = try unsigned.signSegwitV0Input(0, spentOutput: spent, key: uncompressed)
        transaction.inputs[0].witness = [sig.encoded, uncompressed.publicKey.bytes]
        #expect(throws: ScriptError.uncompressedPublicKeyInWitness) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent, flags: .consensus)
    }

    @Test func signingHelpersCheckTheOutput() throws {
        let other = try SpendFixtures.key("other")
        let spent = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2wpkh(key.publicKey))
        #expect(throws: SighashError.publicKeyMismatch) {
            try unsigned.signSegwitV0Input(0, spentOutput: spent, key: other)
        }
        let legacy = TransactionOutput(value: spent.value, scriptPubKey: SpendFixtures.p2pkh(key.publicKey))
        #expect(throws: SighashError.notWitnessV0Program) {
            try unsigned.signSegwitV0Input(0, spentOutput: legacy, key: key)
        }
        let witnessScript = SpendFixtures.multisig2of2(key.publicKey, other.publicKey)
        let p2wsh = TransactionOutput(value: spent.value, scriptPubKey: SpendFixtures.p2wsh(witnessScript))
        #expect(throws: SighashError.witnessScriptMismatch) {
            try unsigned.signSegwitV0Input(0, spentOutput: p2wsh, witnessScript: Script(bytes: [0x51]), key: key)
        }
        #expect(throws: SighashError.inputIndexOutOfRange(index: 3, inputCount: 1)) {
            try unsigned.signSegwitV0Input(3, spentOutput: spent, key: key)
        }
    }

    @Test func p2wshMultisigVerifies() throws {
        let other = try SpendFixtures.key("segwit cosigner")
        let witnessScript = SpendFixtures.multisig2of2(key.publicKey, other.publicKey)
        let spent = TransactionOutput(
            value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2wsh(witnessScript))
        let sig1 = try unsigned.signSegwitV0Input(0, spentOutput: spent, witnessScript: witnessScript, key: key)
        let sig2 = try unsigned.signSegwitV0Input(0, spentOutput: spent, witnessScript: witnessScript, key: other)
        var transaction = unsigned
        transaction.inputs[0].witness = [[], sig1.encoded, sig2.encoded, witnessScript.bytes]
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)

        transaction.inputs[0].witness = [[], sig2.encoded, sig1.encoded, witnessScript.bytes]
        #expect(throws: ScriptError.signatureInvalid) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        transaction.inputs[0].witness = [[], sig1.encoded, sig2.encoded, witnessScript.bytes + [0x75]]
        #expect(throws: ScriptError.witnessProgramMismatch) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
        transaction.inputs[0].witness = []
        #expect(throws: ScriptError.witnessProgramWitnessEmpty) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)
        }
    }

    @Test func nestedP2WPKHVerifies() throws {
        let program = SpendFixtures.p2wpkh(key.publicKey)
        let spent = TransactionOutput(value: SpendFixtures.amount(100_000), scriptPubKey: SpendFixtures.p2sh(program))
        let scriptCode = try #require(Script.segwitV0ScriptCode(publicKeyHash: key.publicKey.hash160))
        let sig = try unsigned.signSegwitV0Input(0, scriptCode: scriptCode, amount: spent.value, key: key)
        var transaction = unsigned
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([program.bytes])
        transaction.inputs[0].witness = [sig.encoded, key.publicKey.bytes]
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent)

        // The scriptSig must be exactly one push of the redeem script.
        transaction.inputs[0].scriptSig = Script(bytes: [0x4c, UInt8(program.count)] + program.bytes)
        #expect(throws: ScriptError.witnessMalleatedP2SH) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent, flags: .consensus)
        }
    }

    @Test func verifyAllInputsSharesTheCache() throws {
        let legacyKey = try SpendFixtures.key("legacy input")
        let legacyOutput = TransactionOutput(
            value: SpendFixtures.amount(50_000), scriptPubKey: SpendFixtures.p2pkh(legacyKey.publicKey))
        let segwitOutput = TransactionOutput(
            value: SpendFixtures.amount(60_000), scriptPubKey: SpendFixtures.p2wpkh(key.publicKey))
        var transaction = unsigned
        transaction.inputs.append(
            TransactionInput(previousOutput: OutPoint(txid: SpendFixtures.fundingTxid, index: 1)))
        let legacySig = try transaction.signLegacyInput(0, scriptCode: legacyOutput.scriptPubKey, key: legacyKey)
        let segwitSig = try transaction.signSegwitV0Input(1, spentOutput: segwitOutput, key: key)
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([legacySig.encoded, legacyKey.publicKey.bytes])
        transaction.inputs[1].witness = [segwitSig.encoded, key.publicKey.bytes]
        try ScriptVerifier.verify(transaction: transaction, spentOutputs: [legacyOutput, segwitOutput])
        // Swapped: input 0 now claims to spend a witness program but has a scriptSig.
        #expect(throws: ScriptError.inputFailed(index: 0, .witnessMalleated)) {
            try ScriptVerifier.verify(transaction: transaction, spentOutputs: [segwitOutput, legacyOutput])
        }
    }
}
