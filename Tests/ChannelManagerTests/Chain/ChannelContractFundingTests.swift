import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// A channel's life on MemoryChain: the wallet funds a contract, the client's chain and a
/// server's chain (which never saw the wallet's coins) accept it, and the refund and the
/// settlement spend it under the chain's lock-time, script and replacement rules.
@Suite struct ChannelContractFundingTests {
    static let channelValue: Int64 = 1_000_000
    static let expiry = ChainFixtures.start + 86_400

    let fixture: WalletFixture
    let serverChain: MemoryChain
    let clientKey: PrivateKey
    let serverKey: PrivateKey

    init() async throws {
        fixture = try await WalletFixture()
        serverChain = MemoryChain(clock: fixture.clock, acceptsUnknownInputs: true)
        clientKey = try fixture.keychain.key(.clientChannel, index: 0)
        serverKey = try ChannelKeychain(seed: ChainFixtures.seed("server seed")).key(.serverChannel, index: 0)
    }

    func contractTerms(_ version: ProtocolVersion) throws -> ChannelContract {
        try ChannelContract(
            version: version, clientKey: clientKey.publicKey, serverKey: serverKey.publicKey, expiry: Self.expiry)
    }

    /// Funds the channel output from the wallet.
    func fundContract(_ terms: ChannelContract) async throws -> Transaction {
        try await fixture.fund(3_000_000)
        let output = TransactionOutput(
            value: try ChainFixtures.sat(Self.channelValue), scriptPubKey: terms.outputScript)
        let contract = try await fixture.wallet.fundContract(paying: output)
        #expect(contract.outputs[0] == output)
        return contract
    }

    /// The v2 refund: `<client sig> OP_0 <redeem>`, lock time at expiry, sequence 0xFFFFFFFE.
    func refund(_ terms: ChannelContract, contract: Transaction) throws -> Transaction {
        var refund = Transaction(
            version: 1,
            inputs: [TransactionInput(previousOutput: OutPoint(txid: contract.txid, index: 0), sequence: 0xffff_fffe)],
            outputs: [
                TransactionOutput(
                    value: try ChainFixtures.sat(Self.channelValue - 2_000),
                    scriptPubKey: .p2pkh(publicKey: clientKey.publicKey))
            ],
            lockTime: UInt32(terms.expiry))
        let signature = try refund.signLegacyInput(0, scriptCode: terms.signedScript, key: clientKey)
        var scriptSig = ScriptBuilder()
        scriptSig.push(signature.encoded)
        scriptSig.add(.op0)
        scriptSig.push(terms.signedScript.bytes)
        refund.inputs[0].scriptSig = scriptSig.script
        return refund
    }

    /// A settlement: the client's change (signed SINGLE|ANYONECANPAY, reusable) and the
    /// server's payout (signed ALL).
    func settlement(
        _ terms: ChannelContract, contract: Transaction, serverValue: Int64, clientSignature: [UInt8]? = nil
    ) throws -> (Transaction, clientSignature: [UInt8]) {
        let payout = try TestSpender("server payout")
        var settlement = Transaction(
            version: 1, inputs: [TransactionInput(previousOutput: OutPoint(txid: contract.txid, index: 0))],
            outputs: [
                TransactionOutput(
                    value: try ChainFixtures.sat(600_000), scriptPubKey: .p2pkh(publicKey: clientKey.publicKey)),
                try payout.output(serverValue),
            ])
        let client =
            try clientSignature
            ?? settlement.signLegacyInput(0, scriptCode: terms.signedScript, key: clientKey, type: .singleAnyoneCanPay)
            .encoded
        let server = try settlement.signLegacyInput(0, scriptCode: terms.signedScript, key: serverKey).encoded
        settlement.inputs[0].scriptSig = terms.paymentScriptSig(client: client, server: server)
        return (settlement, client)
    }

    @Test(arguments: [ProtocolVersion.v1, .v2])
    func bothChainsAcceptTheFundedContract(version: ProtocolVersion) async throws {
        let terms = try contractTerms(version)
        let contract = try await fundContract(terms)
        try await fixture.chain.broadcast(contract)
        try await serverChain.broadcast(contract)
        // The server's chain has never seen the wallet's coins: it records them as unknown.
        let record = try #require(serverChain.record(contract.txid))
        #expect(record.spentOutputs.allSatisfy { $0 == nil })
        #expect(record.fee == nil)
        #expect(fixture.chain.record(contract.txid)?.spentOutputs.allSatisfy { $0 != nil } == true)
        // Its output is now known to both.
        #expect(serverChain.utxo(OutPoint(txid: contract.txid, index: 0))?.output == contract.outputs[0])
        #expect(fixture.chain.utxo(OutPoint(txid: contract.txid, index: 0))?.output == contract.outputs[0])
    }

    @Test func refundIsFinalOnlyAfterExpiry() async throws {
        let terms = try contractTerms(.v2)
        let contract = try await fundContract(terms)
        try await fixture.chain.broadcast(contract)
        fixture.chain.mine()
        let refund = try refund(terms, contract: contract)
        await expectChainError(.notFinal) { try await fixture.chain.broadcast(refund) }

        // bitcoinj's client broadcasts at expiry + 5 minutes; the median time past needs blocks.
        fixture.clock.advance(to: Self.expiry + 300)
        await expectChainError(.notFinal) { try await fixture.chain.broadcast(refund) }
        fixture.chain.mine(blocks: 6)
        #expect(try await fixture.chain.lockTimeReference() > Self.expiry)
        try await fixture.chain.broadcast(refund)
        fixture.chain.mine()
        #expect(try await fixture.chain.status(of: refund.txid) == .confirmed(confirmations: 1))
        #expect(try await fixture.chain.spender(of: OutPoint(txid: contract.txid, index: 0)) == refund.txid)
    }

    @Test func refundWithAnEarlyLockTimeFailsTheScriptEvenWhenFinal() async throws {
        let terms = try contractTerms(.v2)
        let contract = try await fundContract(terms)
        try await fixture.chain.broadcast(contract)
        fixture.clock.advance(to: Self.expiry + 300)
        fixture.chain.mine(blocks: 6)
        // A refund whose lock time is before the expiry is final, but CHECKLOCKTIMEVERIFY fails.
        var early = try refund(terms, contract: contract)
        early.lockTime = UInt32(Self.expiry - 1)
        let signature = try early.signLegacyInput(0, scriptCode: terms.signedScript, key: clientKey)
        var scriptSig = ScriptBuilder()
        scriptSig.push(signature.encoded)
        scriptSig.add(.op0)
        scriptSig.push(terms.signedScript.bytes)
        early.inputs[0].scriptSig = scriptSig.script
        await expectChainError(.rejected) { try await fixture.chain.broadcast(early) }
    }

    @Test func serverSettlesBumpsTheFeeAndTheRefundComesTooLate() async throws {
        let terms = try contractTerms(.v2)
        let contract = try await fundContract(terms)
        try await serverChain.broadcast(contract)

        let (first, clientSignature) = try settlement(terms, contract: contract, serverValue: 399_600)
        try await serverChain.broadcast(first)
        #expect(serverChain.record(first.txid)?.fee?.satoshis == 400)
        // The client's SINGLE|ANYONECANPAY signature still covers a settlement paying the server less.
        let (bumped, _) = try settlement(
            terms, contract: contract, serverValue: 399_000, clientSignature: clientSignature)
        try await serverChain.broadcast(bumped)
        #expect(serverChain.record(first.txid)?.state == .replaced(by: bumped.txid))
        #expect(serverChain.mempoolTxids == [contract.txid, bumped.txid])
        // A settlement with a tampered server signature is refused.
        var forged = bumped
        forged.inputs[0].scriptSig = terms.paymentScriptSig(client: clientSignature, server: clientSignature)
        await expectChainError(.rejected) { try await serverChain.broadcast(forged) }
        serverChain.mine()

        fixture.clock.advance(to: Self.expiry + 300)
        serverChain.mine(blocks: 6)
        let refund = try refund(terms, contract: contract)
        await expectChainError(.doubleSpend) { try await serverChain.broadcast(refund) }
        #expect(try await serverChain.status(of: bumped.txid) == .confirmed(confirmations: 7))
    }
}
