import BitcoinPrimitives
import Testing

/// ScriptVerifier on the v2 channel contract (`OP_IF <server> OP_CHECKSIGVERIFY OP_ELSE
/// <expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP OP_ENDIF <client> OP_CHECKSIG`) in P2SH, through
/// both branches, and in P2WSH.
@Suite struct ChannelScriptSpendTests {
    static let expiry: Int64 = 1_767_311_940
    let server: PrivateKey
    let client: PrivateKey
    let redeem: Script
    let spent: TransactionOutput

    init() throws {
        server = try SpendFixtures.key("channel server")
        client = try SpendFixtures.key("channel client")
        redeem = SpendFixtures.channel(server: server.publicKey, client: client.publicKey, expiry: Self.expiry)
        spent = TransactionOutput(value: SpendFixtures.amount(1_000_000), scriptPubKey: SpendFixtures.p2sh(redeem))
    }

    /// The settlement's unsigned transaction and its two signatures.
    func settlementParts(clientType: SighashType = .singleAnyoneCanPay, serverKey: PrivateKey? = nil) throws
        -> (Transaction, [UInt8], [UInt8])
    {
        let transaction = try SpendFixtures.spending(value: 999_000)
        let clientSig = try transaction.signLegacyInput(0, scriptCode: redeem, key: client, type: clientType)
        let serverSig = try transaction.signLegacyInput(0, scriptCode: redeem, key: serverKey ?? server)
        return (transaction, clientSig.encoded, serverSig.encoded)
    }

    /// The settlement: `<client sig> <server sig> OP_1 <redeem>`.
    func settlement(clientType: SighashType = .singleAnyoneCanPay, serverKey: PrivateKey? = nil) throws -> Transaction {
        var (transaction, clientSig, serverSig) = try settlementParts(clientType: clientType, serverKey: serverKey)
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([clientSig, serverSig, [1], redeem.bytes])
        return transaction
    }

    /// The refund: `<client sig> OP_0 <redeem>` with a lock time.
    func refund(lockTime: UInt32 = UInt32(expiry), sequence: UInt32 = 0xffff_fffe, selector: [UInt8] = [])
        throws -> Transaction
    {
        var transaction = try SpendFixtures.spending(lockTime: lockTime, sequence: sequence, value: 999_000)
        let clientSig = try transaction.signLegacyInput(0, scriptCode: redeem, key: client)
        var scriptSig = SpendFixtures.scriptSig([clientSig.encoded]).bytes
        // The branch selector, pushed as given (bitcoinj pushes the single byte 0x00).
        scriptSig += selector.isEmpty ? [0x00] : [UInt8(selector.count)] + selector
        scriptSig += SpendFixtures.scriptSig([redeem.bytes]).bytes
        transaction.inputs[0].scriptSig = Script(bytes: scriptSig)
        return transaction
    }

    func verify(_ transaction: Transaction, flags: ScriptVerifier.Flags = .standard) throws(ScriptError) {
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: spent, flags: flags)
    }

    @Test func serverBranchVerifies() throws {
        try verify(try settlement())
        try verify(try settlement(clientType: .all))
    }

    @Test func serverBranchMutations() throws {
        #expect(throws: ScriptError.signatureInvalid) { try verify(try settlement(serverKey: client)) }
        var (transaction, clientSig, serverSig) = try settlementParts()
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([[7], clientSig, serverSig, [1], redeem.bytes])
        #expect(throws: ScriptError.cleanStack) { try verify(transaction) }
        // Both signatures with the ELSE selector: the CLTV check refuses lock time 0.
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([clientSig, serverSig, [], redeem.bytes])
        #expect(throws: ScriptError.lockTimeTypeMismatch) { try verify(transaction) }
        // The server's signature alone does not satisfy the client key.
        transaction.inputs[0].scriptSig = SpendFixtures.scriptSig([serverSig, serverSig, [1], redeem.bytes])
        #expect(throws: ScriptError.signatureInvalid) { try verify(transaction) }
    }

    @Test func refundBranchVerifies() throws {
        try verify(try refund())
        try verify(try refund(lockTime: UInt32(Self.expiry) + 100))
        // bitcoinj's selector: a one-byte push of 0x00 (false, and minimal in P2SH).
        try verify(try refund(selector: [0x00]))
    }

    @Test func refundLockTimeRules() throws {
        #expect(throws: ScriptError.lockTimeNotReached) { try verify(try refund(lockTime: UInt32(Self.expiry) - 1)) }
        #expect(throws: ScriptError.inputSequenceFinal) { try verify(try refund(sequence: 0xffff_ffff)) }
        #expect(throws: ScriptError.lockTimeTypeMismatch) { try verify(try refund(lockTime: 800_000)) }
        // Without BIP65 the opcode is a NOP (and upgradable NOPs are not discouraged here).
        try verify(try refund(lockTime: 0), flags: [.p2sh])
    }

    @Test func refundWithExtraStackItemFails() throws {
        var transaction = try refund()
        transaction.inputs[0].scriptSig = Script(bytes: [0x51] + transaction.inputs[0].scriptSig.bytes)
        #expect(throws: ScriptError.cleanStack) { try verify(transaction) }
    }

    @Test func refundWithWrongSighashTypeFails() throws {
        var transaction = try refund()
        var items = try transaction.inputs[0].scriptSig.operations().compactMap(\.data)
        items[0][items[0].count - 1] = SighashType.allAnyoneCanPay.byte
        var bytes = SpendFixtures.scriptSig([items[0]]).bytes + [0x00]
        bytes += SpendFixtures.scriptSig([items[2]]).bytes
        transaction.inputs[0].scriptSig = Script(bytes: bytes)
        #expect(throws: ScriptError.signatureInvalid) { try verify(transaction) }
    }

    @Test func channelInP2WSHAppliesMinimalIf() throws {
        let witnessOutput = TransactionOutput(value: spent.value, scriptPubKey: SpendFixtures.p2wsh(redeem))
        let unsigned = try SpendFixtures.spending(lockTime: UInt32(Self.expiry), sequence: 0xffff_fffe, value: 999_000)
        let clientSig = try unsigned.signSegwitV0Input(
            0, spentOutput: witnessOutput, witnessScript: redeem, key: client)
        let serverSig = try unsigned.signSegwitV0Input(
            0, spentOutput: witnessOutput, witnessScript: redeem, key: server)
        var transaction = unsigned
        transaction.inputs[0].witness = [clientSig.encoded, serverSig.encoded, [1], redeem.bytes]
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: witnessOutput)
        transaction.inputs[0].witness = [clientSig.encoded, [], redeem.bytes]
        try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: witnessOutput)
        // bitcoinj's 0x00 selector is not minimal in a witness script.
        transaction.inputs[0].witness = [clientSig.encoded, [0], redeem.bytes]
        #expect(throws: ScriptError.minimalIf) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: witnessOutput)
        }
        transaction.inputs[0].witness = [clientSig.encoded, serverSig.encoded, [2], redeem.bytes]
        #expect(throws: ScriptError.minimalIf) {
            try ScriptVerifier.verify(transaction: transaction, inputIndex: 0, spentOutput: witnessOutput)
        }
    }
}
