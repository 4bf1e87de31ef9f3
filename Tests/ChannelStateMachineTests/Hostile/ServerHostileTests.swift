import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// One hostile input to the server: where the honest conversation stops, what comes instead,
/// and the `ERROR` code bitcoinj's server answers with.
struct ServerHostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let setup: ServerSetup
    let code: ErrorCode
    let input: @Sendable (ServerContext) -> HostileInput

    init(
        _ name: String, _ setup: ServerSetup, _ code: ErrorCode,
        _ input: @escaping @Sendable (ServerContext) -> HostileInput
    ) {
        self.name = name
        self.setup = setup
        self.code = code
        self.input = input
    }

    var testDescription: String { "\(name) [\(setup)]" }
}

private func msg(_ message: ChannelMessage) -> HostileInput { .message(message) }
private let syntax = ErrorCode.syntaxError
private let badTx = ErrorCode.badTransaction
private let v1 = ProtocolVersion.v1
private let v2 = ProtocolVersion.v2

private func amount(_ satoshis: Int64) -> Amount { Honest.amount(satoshis) }

/// A contract for `context` with output 0 replaced.
private func contract(_ c: ServerContext, value: Amount = Honest.channelValue, script: Script) -> Transaction {
    Honest.contract(outputs: [TransactionOutput(value: value, scriptPubKey: script)])
}

/// PROVIDE_CONTRACT for another contract, with an initial payment really signed for it.
private func provideOther(_ c: ServerContext, _ tx: Transaction, clientKey: PublicKey = Honest.clientKey.publicKey)
    -> HostileInput
{
    var other = c
    other.contract = tx
    other.payment = Honest.payment(c.version, expiry: c.expiry, contract: tx)
    return msg(other.provideContract(clientKey: clientKey))
}

private func refund(_ c: ServerContext, _ change: (inout Transaction) -> Void) -> HostileInput {
    var tx = c.refund
    change(&tx)
    return msg(c.provideRefund(tx))
}

private func payment(_ c: ServerContext, signature: [UInt8], change: Amount? = nil) -> HostileInput {
    let change = change ?? amount(c.change.satoshis - 1000)
    return msg(.updatePayment(UpdatePayment(clientChangeValue: change.unsignedSatoshis, signature: signature)))
}

private func nextSignature(_ c: ServerContext) -> [UInt8] {
    Honest.paymentSignature(c.payment, change: amount(c.change.satoshis - 1000))
}

/// Whether bitcoinj's server takes a message of `type` in `setup` (`CLOSE` aside: see
/// ``ServerHostileTests/closeWithUnparsableSettlement()``).
private func inOrder(_ type: MessageType, _ setup: ServerSetup) -> Bool {
    switch (type, setup) {
    case (.clientVersion, .fresh), (.provideRefund, .initiated(.v1)), (.provideContract, .initiated(.v2)),
        (.provideContract, .refunded), (.updatePayment, .open), (.error, _):
        return true
    default:
        return false
    }
}

/// State before content, as bitcoinj (issue 19): every malformed message in every setup. Out of
/// order it gets `SYNTAX_ERROR` whatever its fields hold; in order, the code its fields earn.
let serverOrderCases: [ServerHostileCase] = HostileMessages.malformed.filter { $0.type != .close }.flatMap {
    malformed in
    [ServerSetup.fresh, .initiated(v1), .initiated(v2), .refunded, .open(v2, payments: 1)].map { setup in
        let expected = inOrder(malformed.type, setup)
        return ServerHostileCase(
            "\(malformed.name), \(expected ? "in order" : "out of order")", setup,
            expected ? malformed.code : syntax
        ) { _ in .bytes(malformed.bytes) }
    }
}

let serverHostileCases: [ServerHostileCase] =
    serverOrderCases + [
        // Out of order.
        .init("UPDATE_PAYMENT first", .fresh, syntax) { c in msg(.updatePayment(c.update())) },
        .init("PROVIDE_CONTRACT before INITIATE", .fresh, syntax) { c in msg(c.provideContract()) },
        .init("PROVIDE_REFUND before INITIATE", .fresh, syntax) { c in msg(c.provideRefund()) },
        .init("PAYMENT_ACK sent to a server", .fresh, syntax) { _ in msg(.paymentAck(nil)) },
        .init("INITIATE sent to a server", .fresh, syntax) { c in
            msg(
                .initiate(
                    Initiate(
                        multisigKey: Honest.otherKey.publicKey, minAcceptedChannelSize: 100_000,
                        expireTimeSecs: c.expiry, minPayment: 1000)))
        },
        .init("SERVER_VERSION sent to a server", .initiated(v1), syntax) { _ in
            msg(.serverVersion(ServerVersion(major: 1)))
        },
        .init("RETURN_REFUND sent to a server", .initiated(v1), syntax) { c in
            msg(.returnRefund(ReturnRefund(signature: nextSignature(c))))
        },
        .init("CHANNEL_OPEN sent to a server", .initiated(v2), syntax) { _ in msg(.channelOpen) },
        .init("repeated CLIENT_VERSION", .initiated(v2), syntax) { _ in msg(.clientVersion(ClientVersion(major: 2))) },
        .init("repeated CLIENT_VERSION on an open channel", .open(v1, payments: 1), syntax) { _ in
            msg(.clientVersion(ClientVersion(major: 1)))
        },
        .init("PROVIDE_REFUND in v2", .initiated(v2), syntax) { c in msg(c.provideRefund()) },
        .init("PROVIDE_CONTRACT before PROVIDE_REFUND (v1)", .initiated(v1), syntax) { c in msg(c.provideContract()) },
        .init("repeated PROVIDE_REFUND", .refunded, syntax) { c in msg(c.provideRefund()) },
        .init("UPDATE_PAYMENT before PROVIDE_CONTRACT", .refunded, syntax) { c in msg(.updatePayment(c.update())) },
        .init("repeated PROVIDE_CONTRACT (v2)", .open(v2, payments: 2), syntax) { c in msg(c.provideContract()) },
        .init("repeated PROVIDE_CONTRACT (v1)", .open(v1, payments: 0), syntax) { c in msg(c.provideContract()) },

        // Keys.
        .init("v2 contract to another server key", .initiated(v2), badTx) { c in
            provideOther(
                c,
                contract(c, script: Honest.outputScript(v2, expiry: c.expiry, server: Honest.otherKey.publicKey)))
        },
        .init("v2 contract with the keys swapped", .initiated(v2), badTx) { c in
            provideOther(
                c,
                contract(
                    c,
                    script: Honest.outputScript(
                        v2, expiry: c.expiry, client: Honest.serverKey.publicKey, server: Honest.clientKey.publicKey)))
        },
        .init("v1 contract with the keys swapped", .refunded, badTx) { c in
            provideOther(
                c,
                contract(
                    c,
                    script: Honest.outputScript(
                        v1, expiry: c.expiry, client: Honest.serverKey.publicKey, server: Honest.clientKey.publicKey)))
        },
        .init("v1 contract to another server key", .refunded, badTx) { c in
            provideOther(
                c, contract(c, script: Honest.outputScript(v1, expiry: c.expiry, server: Honest.otherKey.publicKey)))
        },
        .init("v2 PROVIDE_CONTRACT without client_key", .initiated(v2), syntax) { c in
            .message(
                .provideContract(
                    ProvideContract(tx: WireTransaction(c.contract), initialPayment: c.update(), clientKey: nil)))
        },
        .init("v2 client_key not the contract's client key", .initiated(v2), badTx) { c in
            msg(c.provideContract(clientKey: Honest.otherKey.publicKey))
        },
        .init("v1 contract's client key not the refund's", .refunded, badTx) { c in
            provideOther(
                c, contract(c, script: Honest.outputScript(v1, expiry: c.expiry, client: Honest.otherKey.publicKey)))
        },
        .init("v2 contract for another expiry", .initiated(v2), badTx) { c in
            provideOther(c, contract(c, script: Honest.outputScript(v2, expiry: c.expiry + 1)))
        },

        // Payment signatures.
        .init("high-S payment signature", .open(v2, payments: 1), badTx) { c in
            payment(c, signature: Honest.highS(nextSignature(c)))
        },
        .init("high-S initial payment", .initiated(v2), badTx) { c in
            let honest = c.update()
            return msg(
                c.provideContract(
                    initial: UpdatePayment(
                        clientChangeValue: honest.clientChangeValue, signature: Honest.highS(honest.signature))))
        },
        // A payment signature bitcoinj cannot decode (not strict DER, an undefined sighash byte) is
        // its SignatureDecodeException: SYNTAX_ERROR, checked before the change; in the initial
        // payment, BAD_TRANSACTION. High S decodes in bitcoinj; Paychan refuses it as a bad payment.
        .init("non-DER payment signature (padded R)", .open(v1, payments: 1), syntax) { c in
            payment(c, signature: Honest.paddedR(nextSignature(c)))
        },
        .init("non-DER payment signature and change above the channel value", .open(v2, payments: 1), syntax) { c in
            payment(c, signature: Honest.paddedR(nextSignature(c)), change: amount(Honest.channelValue.satoshis + 1))
        },
        .init("non-DER initial payment signature", .initiated(v2), badTx) { c in
            let honest = c.update()
            return msg(
                c.provideContract(
                    initial: UpdatePayment(
                        clientChangeValue: honest.clientChangeValue, signature: Honest.paddedR(honest.signature))))
        },
        .init("payment signed SIGHASH_ALL", .open(v2, payments: 1), badTx) { c in
            payment(c, signature: c.update(type: .all).signature)
        },
        .init("payment signed SIGHASH_SINGLE without ANYONECANPAY", .open(v2, payments: 1), badTx) { c in
            payment(c, signature: c.update(type: .single).signature)
        },
        .init("payment signed NONE|ANYONECANPAY with change", .open(v1, payments: 1), badTx) { c in
            payment(c, signature: c.update(type: .noneAnyoneCanPay).signature)
        },
        .init("payment of everything signed SINGLE|ANYONECANPAY", .open(v2, payments: 1), badTx) { c in
            let signature = Honest.clientKey.sign(sighash: c.payment.sighash(change: .zero), type: .singleAnyoneCanPay)
            return payment(c, signature: signature.encoded, change: .zero)
        },
        .init("payment with an undefined sighash byte", .open(v2, payments: 1), syntax) { c in
            payment(c, signature: Honest.retyped(nextSignature(c), 0x00))
        },
        .init("payment signed by the wrong key", .open(v2, payments: 2), badTx) { c in
            payment(c, signature: c.update(key: Honest.otherKey).signature)
        },
        .init("payment signed by the server's own key", .open(v1, payments: 2), badTx) { c in
            payment(c, signature: c.update(key: Honest.serverKey).signature)
        },
        .init("signature for another change value", .open(v2, payments: 1), badTx) { c in
            payment(c, signature: nextSignature(c), change: amount(c.change.satoshis - 2000))
        },
        .init("change going up (really signed)", .open(v2, payments: 2), badTx) { c in
            msg(.updatePayment(c.update(change: amount(c.change.satoshis + 1000))))
        },
        .init("change above the channel value (really signed)", .open(v1, payments: 1), badTx) { c in
            msg(.updatePayment(c.update(change: amount(Honest.channelValue.satoshis + 1))))
        },
        .init("change that is dust but not zero (really signed)", .open(v2, payments: 1), badTx) { c in
            msg(.updatePayment(c.update(change: amount(545))))
        },
        .init("change past 21e6 BTC", .open(v2, payments: 1), badTx) { c in
            msg(
                .updatePayment(
                    UpdatePayment(clientChangeValue: 2_100_000_000_000_001, signature: nextSignature(c))))
        },
        .init("change of 2^64-1 (encoded)", .open(v1, payments: 1), badTx) { c in
            .bytes(
                ChannelMessage.updatePayment(UpdatePayment(clientChangeValue: UInt64.max, signature: nextSignature(c)))
                    .encoded())
        },
        .init("initial payment signed by the wrong key", .initiated(v2), badTx) { c in
            msg(c.provideContract(initial: c.update(key: Honest.otherKey)))
        },
        .init("initial payment below the minimum payment", .refunded, badTx) { c in
            msg(c.provideContract(initial: c.update(change: amount(Honest.channelValue.satoshis - 999))))
        },
        .init("initial payment paying nothing", .initiated(v2), badTx) { c in
            msg(c.provideContract(initial: c.update(change: Honest.channelValue)))
        },
        .init("initial payment with dust change", .initiated(v2), badTx) { c in
            msg(c.provideContract(initial: c.update(change: amount(1))))
        },

        // Contracts.
        .init("contract paying another script", .initiated(v2), badTx) { c in
            provideOther(c, contract(c, script: .p2pkh(publicKey: Honest.serverKey.publicKey)))
        },
        .init("contract below the minimum channel value", .initiated(v2), badTx) { c in
            provideOther(c, Honest.contract(v2, expiry: c.expiry, value: amount(99_999)))
        },
        .init("contract with no outputs", .initiated(v2), badTx) { c in provideOther(c, Honest.contract(outputs: [])) },
        .init("contract with no inputs", .initiated(v2), badTx) { c in
            provideOther(c, Honest.contract(outputs: c.contract.outputs, inputs: []))
        },
        .init("contract with outputs past 21e6 BTC", .initiated(v2), badTx) { c in
            let big = TransactionOutput(
                value: Amount.maxMoney, scriptPubKey: .p2pkh(publicKey: Honest.otherKey.publicKey))
            return provideOther(c, Honest.contract(outputs: c.contract.outputs + [big]))
        },
        .init("v1 contract that is not the refund's", .refunded, badTx) { c in
            provideOther(c, Honest.contract(outputs: c.contract.outputs + c.contract.outputs))
        },

        // Version 1 refunds.
        .init("refund locked before the expiry", .initiated(v1), badTx) { c in refund(c) { $0.lockTime -= 1 } },
        // bitcoinj accepts a later lock time, an output other than 0 and a dust output here; Paychan
        // refuses them (an honest bitcoinj client never sends them).
        .init("refund locked after the expiry", .initiated(v1), badTx) { c in refund(c) { $0.lockTime += 1 } },
        .init("refund with sequence 0xFFFFFFFF", .initiated(v1), badTx) { c in
            refund(c) { $0.inputs[0].sequence = TransactionInput.finalSequence }
        },
        .init("refund spending output 1", .initiated(v1), badTx) { c in
            refund(c) { $0.inputs[0].previousOutput.index = 1 }
        },
        .init("refund with two inputs", .initiated(v1), badTx) { c in
            refund(c) { $0.inputs.append(TransactionInput(previousOutput: Honest.fundingOutpoint, sequence: 0)) }
        },
        .init("refund with two outputs", .initiated(v1), badTx) { c in refund(c) { $0.outputs.append($0.outputs[0]) } },
        .init("refund with no outputs", .initiated(v1), badTx) { c in refund(c) { $0.outputs = [] } },
        .init("refund with a dust output", .initiated(v1), badTx) { c in refund(c) { $0.outputs[0].value = amount(100) }
        },

        // Versions.
        .init("unknown major version 7", .fresh, .noAcceptableVersion) { _ in
            msg(.clientVersion(ClientVersion(major: 7)))
        },
        .init("major version 0", .fresh, .noAcceptableVersion) { _ in msg(.clientVersion(ClientVersion(major: 0))) },
        .init("negative major version", .fresh, .noAcceptableVersion) { _ in
            .bytes(ChannelMessage.clientVersion(ClientVersion(major: -1)).encoded())
        },

        // Bytes.
        .init("oversized message (32768 bytes)", .open(v2, payments: 1), syntax) { c in
            var update = c.update()
            var bytes: [UInt8] = []
            for size in (32_600...32_768).reversed() {
                update.info = [UInt8](repeating: 0x41, count: size)
                bytes = ChannelMessage.updatePayment(update).encoded()
                if bytes.count == 32_768 { break }
            }
            precondition(bytes.count == 32_768)
            return .bytes(bytes)
        },
        .init("unknown message type 12", .fresh, syntax) { _ in .bytes(ProtoWriter.build { $0.varint(1, 12) }) },
        .init("unknown message type on an open channel", .open(v1, payments: 1), syntax) { _ in
            .bytes(ProtoWriter.build { $0.varint(1, 0x7fff) })
        },
        .init("truncated PROVIDE_CONTRACT", .initiated(v2), syntax) { c in
            let bytes = c.provideContract().encoded()
            return .bytes(Array(bytes.prefix(bytes.count / 2)))
        },
        .init("truncated UPDATE_PAYMENT", .open(v2, payments: 1), syntax) { c in
            .bytes(Array(ChannelMessage.updatePayment(c.update()).encoded().dropLast(5)))
        },
        .init("random bytes", .open(v2, payments: 1), syntax) { _ in
            var random = SplitMix64(seed: 0xbad_c0de)
            return .bytes((0..<200).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        },
        .init("empty message", .fresh, syntax) { _ in .bytes([]) },
    ]

@Suite struct ServerHostileTests {
    @Test func tableIsLargeAndNamesAreUnique() {
        #expect(serverHostileCases.count >= 40)
        #expect(serverOrderCases.count == 14 * 5)
        #expect(Set(serverHostileCases.map(\.testDescription)).count == serverHostileCases.count)
    }

    @Test(arguments: serverHostileCases)
    func hostileInput(_ hostile: ServerHostileCase) throws {
        let (honest, context) = try hostile.setup.run()
        var server = honest
        let before = server.record
        let effects: [ServerEffect]
        switch hostile.input(context) {
        case .message(let message): effects = server.receive(message, now: Honest.now)
        case .bytes(let bytes): effects = server.receive(bytes: bytes, now: Honest.now)
        }
        var sends: [ChannelMessage] = []
        var forbidden: [String] = []
        for effect in effects {
            switch effect {
            case .send(let message): sends.append(message)
            case .report(.closed(.localError)), .closeConnection: break
            default: forbidden.append("\(effect)")
            }
        }
        let closesLast: Bool
        if case .closeConnection = effects.last { closesLast = true } else { closesLast = false }
        expectRefusal(
            sends, closes: closesLast, forbidden: forbidden, code: hostile.code, hostile.testDescription)
        #expect(server.isClosed)
        // A failure drops the machine's channel; the stored record is unchanged since nothing was
        // persisted, and what the machine held before is what the honest conversation made.
        if let after = server.record { #expect(after == before) }
        if case .open = hostile.setup, let before {
            #expect(before.clientChange == context.change)
            #expect(before.state == .open)
            expectResumable(before, context: context, hostile.testDescription)
        }
    }

    /// A server never reads a `CLOSE`'s settlement (nor does bitcoinj's): one that does not parse
    /// is a plain `CLOSE`, in every state.
    @Test(arguments: [ServerSetup.fresh, .initiated(v2), .refunded, .open(v1, payments: 1)])
    func closeWithUnparsableSettlement(_ setup: ServerSetup) throws {
        let close = try #require(HostileMessages.malformed.first { $0.type == .close })
        #expect(throws: WireError.self) { try ChannelMessage(decoding: close.bytes) }
        var (server, _) = try setup.run()
        var plain = server
        let effects = server.receive(bytes: close.bytes, now: Honest.now)
        let expected = plain.receive(.close(nil), now: Honest.now)
        #expect(!effects.isEmpty)
        #expect("\(effects)" == "\(expected)")
        #expect(!effects.contains { if case .send(.error) = $0 { true } else { false } }, "\(effects)")
    }

    /// The stored record (unchanged, since nothing was persisted) still resumes on a new
    /// connection, and the honest next payment is accepted on top of its best payment.
    private func expectResumable(_ record: ServerChannelRecord, context: ServerContext, _ name: String) {
        var server = ServerChannel(
            config: Honest.serverConfig, newChannelKey: Honest.otherKey, newChannelKeyIndex: 8)
        let hello = server.receive(
            .clientVersion(
                ClientVersion(major: record.version.rawValue, previousChannelContractHash: record.contractTxid)),
            now: Honest.now)
        guard case .lookUpStoredChannel(let txid) = hello.last, txid == record.contractTxid else {
            Issue.record("\(name): no lookup \(hello)")
            return
        }
        let resumed = server.storedChannelFound(record, key: Honest.serverKey, now: Honest.now)
        guard case .send(.channelOpen) = resumed.first else {
            Issue.record("\(name): not resumed \(resumed)")
            return
        }
        let next = server.receive(.updatePayment(context.update()), now: Honest.now)
        guard case .send(.paymentAck) = next.last else {
            Issue.record("\(name): honest payment refused after resume \(next)")
            return
        }
        #expect(server.record?.clientChange == Honest.amount(context.change.satoshis - 1000))
    }
}
