import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// The honest server's side of the conversation as far as a client case needs it.
struct ClientContext: Sendable {
    var version: ProtocolVersion
    var expiry: UInt64 = Honest.now + Honest.timeWindow
    /// The contract the client's wallet funded, once funded.
    var contract: Transaction?
    /// The v1 refund the client asked the server to sign.
    var refund: Transaction?
    /// What the client has left in the channel.
    var valueLeft: Amount = Honest.channelValue

    /// The honest INITIATE, with one field changed by `change`.
    func initiate(_ change: (inout Initiate) -> Void = { _ in }) -> ChannelMessage {
        var initiate = Initiate(
            multisigKey: Honest.serverKey.publicKey, minAcceptedChannelSize: 100_000, expireTimeSecs: expiry,
            minPayment: 1000)
        change(&initiate)
        return .initiate(initiate)
    }

    /// The server's signature over the v1 refund, with any key, type and transaction.
    func refundSignature(
        key: PrivateKey = Honest.serverKey, type: SighashType = .noneAnyoneCanPay, tx: Transaction? = nil
    ) -> [UInt8] {
        guard let tx = tx ?? refund,
            let hash = try? tx.legacySignatureHash(
                inputIndex: 0, scriptCode: Honest.signedScript(version, expiry: expiry), type: type)
        else { preconditionFailure("refund sighash") }
        return key.sign(sighash: hash, type: type).encoded
    }

    /// A settlement spending the contract and paying the client `toClient`.
    func settlement(toClient: Amount, spending outpoint: OutPoint? = nil) -> ChannelMessage {
        let contractOutpoint = OutPoint(txid: contract?.txid ?? Honest.fundingOutpoint.txid, index: 0)
        let tx = Transaction(
            version: 1, inputs: [TransactionInput(previousOutput: outpoint ?? contractOutpoint)],
            outputs: [
                TransactionOutput(value: toClient, scriptPubKey: .p2pkh(publicKey: Honest.clientKey.publicKey)),
                TransactionOutput(
                    value: Honest.amount(5000), scriptPubKey: .p2pkh(publicKey: Honest.payoutKey.publicKey)),
            ], lockTime: 0)
        return .close(Settlement(tx: WireTransaction(tx)))
    }
}

/// How far the honest conversation goes before the hostile input to the client.
enum ClientSetup: Sendable, CustomStringConvertible {
    /// CLIENT_VERSION sent (asking for `selector`), nothing received.
    case started(VersionSelector)
    /// SERVER_VERSION received.
    case versioned(ProtocolVersion)
    /// Version 1: the contract is funded and PROVIDE_REFUND sent.
    case awaitingRefundSignature
    /// CHANNEL_OPEN received, `payments` payments made and acknowledged.
    case open(ProtocolVersion, payments: Int)

    var description: String {
        switch self {
        case .started(let selector): return "started \(selector)"
        case .versioned(let v): return "after SERVER_VERSION \(v)"
        case .awaitingRefundSignature: return "after PROVIDE_REFUND"
        case .open(let v, let payments): return "open \(v) +\(payments) payments"
        }
    }

    func run() throws -> (ClientChannel, ClientContext) {
        let version: ProtocolVersion
        let selector: VersionSelector
        switch self {
        case .started(let s):
            selector = s
            version = s.requested
        case .versioned(let v), .open(let v, _):
            version = v
            selector = v == .v1 ? .v1 : .v2
        case .awaitingRefundSignature:
            version = .v1
            selector = .v1
        }
        var client = ClientChannel(
            config: ClientChannelConfig(channelValue: Honest.channelValue, versionSelector: selector),
            serverID: "hostile", key: Honest.clientKey, keyIndex: 3)
        var context = ClientContext(version: version)
        _ = client.start(now: Honest.now)
        if case .started = self { return (client, context) }
        let none = client.receive(.serverVersion(ServerVersion(major: version.rawValue)), now: Honest.now)
        guard none.isEmpty else { throw HarnessError.step("SERVER_VERSION: \(none)") }
        if case .versioned = self { return (client, context) }
        let fund = client.receive(context.initiate(), now: Honest.now)
        guard case .fundContract(let output) = fund.last else { throw HarnessError.step("no funding: \(fund)") }
        let contract = Honest.contract(outputs: [output])
        context.contract = contract
        let funded = client.contractFunded(contract, now: Honest.now)
        if version == .v1 {
            guard case .send(.provideRefund(let provide)) = funded.last else {
                throw HarnessError.step("no PROVIDE_REFUND: \(funded)")
            }
            context.refund = provide.tx.transaction
            if case .awaitingRefundSignature = self { return (client, context) }
            let handed = client.receive(
                .returnRefund(ReturnRefund(signature: context.refundSignature())), now: Honest.now)
            guard case .send(.provideContract) = handed.last else {
                throw HarnessError.step("no PROVIDE_CONTRACT: \(handed)")
            }
        } else {
            guard case .send(.provideContract) = funded.last else {
                throw HarnessError.step("no PROVIDE_CONTRACT: \(funded)")
            }
        }
        _ = client.receive(.channelOpen, now: Honest.now)
        guard case .open(_, let payments) = self, client.isOpen else { throw HarnessError.step("not open") }
        for _ in 0..<payments {
            _ = try client.pay(Honest.amount(2000))
            let acked = client.receive(.paymentAck(nil), now: Honest.now)
            guard acked.count == 1 else { throw HarnessError.step("ack: \(acked)") }
        }
        guard let left = client.record?.valueLeft else { throw HarnessError.step("no record") }
        context.valueLeft = left
        return (client, context)
    }
}

struct ClientHostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let setup: ClientSetup
    let code: ErrorCode
    let input: @Sendable (ClientContext) -> HostileInput

    init(
        _ name: String, _ setup: ClientSetup, _ code: ErrorCode,
        _ input: @escaping @Sendable (ClientContext) -> HostileInput
    ) {
        self.name = name
        self.setup = setup
        self.code = code
        self.input = input
    }

    var testDescription: String { "\(name) [\(setup)]" }
}

private func msg(_ message: ChannelMessage) -> HostileInput { .message(message) }

/// INITIATE's bytes with `minSize` and `minPayment` as given (the codec checks them).
private func initiateBytes(_ c: ClientContext, minSize: UInt64 = 100_000, minPayment: UInt64 = 1000) -> HostileInput {
    .bytes(
        ProtoWriter.build {
            $0.varint(1, 3)
            $0.bytes(
                4,
                ProtoWriter.build {
                    $0.bytes(1, Honest.serverKey.publicKey.bytes)
                    $0.varint(2, minSize)
                    $0.varint(3, c.expiry)
                    $0.varint(4, minPayment)
                })
        })
}

/// Whether bitcoinj's client takes a message of `type` in `setup`.
private func inOrder(_ type: MessageType, _ setup: ClientSetup) -> Bool {
    switch (type, setup) {
    case (.serverVersion, .started), (.initiate, .versioned), (.returnRefund, .awaitingRefundSignature), (.close, _),
        (.error, _):
        return true
    default:
        return false
    }
}

/// State before content, as bitcoinj (issue 19): every malformed message in every setup. Out of
/// order it gets `SYNTAX_ERROR` whatever its fields hold; in order, the code its fields earn
/// (`CLOSE` is in order everywhere, and a settlement that does not parse is `BAD_TRANSACTION`).
let clientOrderCases: [ClientHostileCase] = HostileMessages.malformed.flatMap { malformed in
    [ClientSetup.started(.v2), .versioned(.v1), .versioned(.v2), .awaitingRefundSignature, .open(.v2, payments: 1)]
        .map { setup in
            let expected = inOrder(malformed.type, setup)
            return ClientHostileCase(
                "\(malformed.name), \(expected ? "in order" : "out of order")", setup,
                expected ? malformed.code : .syntaxError
            ) { _ in .bytes(malformed.bytes) }
        }
}

let clientHostileCases: [ClientHostileCase] =
    clientOrderCases + [
        .init("INITIATE with expiry too far", .versioned(.v2), .timeWindowUnacceptable) { c in
            msg(c.initiate { $0.expireTimeSecs = Honest.now + Honest.timeWindow + 61 })
        },
        .init("INITIATE with expiry in the past", .versioned(.v1), .timeWindowUnacceptable) { c in
            msg(c.initiate { $0.expireTimeSecs = Honest.now - 1 })
        },
        .init("INITIATE with expiry beyond a lock time", .versioned(.v2), .timeWindowUnacceptable) { c in
            msg(c.initiate { $0.expireTimeSecs = UInt64(UInt32.max) + 1 })
        },
        .init("INITIATE with min payment above 1000", .versioned(.v2), .minPaymentTooLarge) { c in
            msg(c.initiate { $0.minPayment = 1001 })
        },
        .init("INITIATE with min channel above our value", .versioned(.v2), .channelValueTooLarge) { c in
            msg(c.initiate { $0.minAcceptedChannelSize = Honest.channelValue.unsignedSatoshis + 1 })
        },
        .init("INITIATE with min channel past 21e6 BTC", .versioned(.v1), .channelValueTooLarge) { c in
            initiateBytes(c, minSize: 2_100_000_000_000_001)
        },
        .init("INITIATE with min payment past 21e6 BTC", .versioned(.v2), .minPaymentTooLarge) { c in
            initiateBytes(c, minPayment: 2_100_000_000_000_001)
        },
        .init("INITIATE with a non-canonical server key", .versioned(.v2), .badTransaction) { c in
            var bytes = Honest.serverKey.publicKey.bytes
            bytes[0] = 0x06
            return .bytes(
                ProtoWriter.build {
                    $0.varint(1, 3)
                    $0.bytes(
                        4,
                        ProtoWriter.build {
                            $0.bytes(1, bytes)
                            $0.varint(2, 100_000)
                            $0.varint(3, c.expiry)
                            $0.varint(4, 1000)
                        })
                })
        },
        .init("INITIATE before SERVER_VERSION", .started(.v2), .syntaxError) { c in msg(c.initiate()) },
        .init("SERVER_VERSION with major 7", .started(.v2AllowV1), .noAcceptableVersion) { _ in
            msg(.serverVersion(ServerVersion(major: 7)))
        },
        .init("SERVER_VERSION 1 to a version 2 client", .started(.v2), .noAcceptableVersion) { _ in
            msg(.serverVersion(ServerVersion(major: 1)))
        },
        .init("refund signature by the wrong key", .awaitingRefundSignature, .badTransaction) { c in
            msg(.returnRefund(ReturnRefund(signature: c.refundSignature(key: Honest.otherKey))))
        },
        .init("refund signature with SIGHASH_ALL", .awaitingRefundSignature, .badTransaction) { c in
            msg(.returnRefund(ReturnRefund(signature: c.refundSignature(type: .all))))
        },
        .init("refund signature with high S", .awaitingRefundSignature, .badTransaction) { c in
            msg(.returnRefund(ReturnRefund(signature: Honest.highS(c.refundSignature()))))
        },
        .init("refund signature over another lock time", .awaitingRefundSignature, .badTransaction) { c in
            var other = c.refund
            other?.lockTime += 1
            return msg(.returnRefund(ReturnRefund(signature: c.refundSignature(tx: other))))
        },
        .init("settlement that underpays the client", .open(.v2, payments: 2), .badTransaction) { c in
            msg(c.settlement(toClient: Honest.amount(c.valueLeft.satoshis - 1)))
        },
        .init("settlement that does not spend the contract", .open(.v1, payments: 1), .badTransaction) { c in
            msg(c.settlement(toClient: c.valueLeft, spending: Honest.fundingOutpoint))
        },
        .init("PAYMENT_ACK with nothing in flight", .open(.v2, payments: 1), .syntaxError) { _ in msg(.paymentAck(nil))
        },
        .init("UPDATE_PAYMENT sent to a client", .open(.v1, payments: 0), .syntaxError) { _ in
            msg(.updatePayment(UpdatePayment(clientChangeValue: 0, signature: HostileMessages.signature)))
        },
        .init("RETURN_REFUND on an open channel", .open(.v1, payments: 1), .syntaxError) { c in
            msg(.returnRefund(ReturnRefund(signature: c.refundSignature())))
        },
    ]

@Suite struct ClientHostileTests {
    @Test(arguments: clientHostileCases)
    func hostileInput(_ hostile: ClientHostileCase) throws {
        let (honest, context) = try hostile.setup.run()
        var client = honest
        let before = client.record
        let effects: [ClientEffect]
        switch hostile.input(context) {
        case .message(let message): effects = client.receive(message, now: Honest.now)
        case .bytes(let bytes): effects = client.receive(bytes: bytes, now: Honest.now)
        }
        var sends: [ChannelMessage] = []
        var forbidden: [String] = []
        for effect in effects {
            switch effect {
            case .send(let message): sends.append(message)
            case .report(.closed(.localError)), .report(.paymentsFailed), .closeConnection: break
            default: forbidden.append("\(effect)")
            }
        }
        let closesLast: Bool
        if case .closeConnection = effects.last { closesLast = true } else { closesLast = false }
        expectRefusal(
            sends, closes: closesLast, forbidden: forbidden, code: hostile.code, hostile.testDescription)
        #expect(client.isClosed)
        if hostile.code == .minPaymentTooLarge, case .error(let error) = sends.first {
            #expect(error.expectedValue == 1000, "bitcoinj names the largest minimum payment it accepts")
        }
        if let after = client.record { #expect(after == before) }
        if case .open = hostile.setup { #expect(before?.valueLeft == context.valueLeft) }
    }
}
