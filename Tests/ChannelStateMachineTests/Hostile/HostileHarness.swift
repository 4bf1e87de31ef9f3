import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// What a hostile case feeds a machine: a decoded message, or raw bytes for the codec.
enum HostileInput: Sendable {
    case message(ChannelMessage)
    case bytes([UInt8])
}

/// Honest parties with real keys, and the builders for the honest messages they exchange.
/// Hostile cases start from these and change one thing.
enum Honest {
    static let now: UInt64 = 1_767_225_600
    static let serverKey = key(0x11)
    static let clientKey = key(0x22)
    static let otherKey = key(0x33)
    static let payoutKey = key(0x44)
    static let channelValue = amount(1_000_000)
    static let minPayment = amount(1000)
    static let timeWindow: UInt64 = 86_340

    static func key(_ byte: UInt8) -> PrivateKey {
        guard let key = try? PrivateKey(secretBytes: [UInt8](repeating: byte, count: 32)) else {
            preconditionFailure("test key \(byte)")
        }
        return key
    }

    static func amount(_ satoshis: Int64) -> Amount {
        guard let amount = Amount(exactly: satoshis) else { preconditionFailure("amount \(satoshis)") }
        return amount
    }

    static var serverConfig: ServerChannelConfig {
        ServerChannelConfig(payoutScript: .p2pkh(publicKey: payoutKey.publicKey))
    }

    /// The script payments sign: the 2-of-2 (v1) or the CLTV redeem script (v2).
    static func signedScript(
        _ version: ProtocolVersion, expiry: UInt64, client: PublicKey = clientKey.publicKey,
        server: PublicKey = serverKey.publicKey
    ) -> Script {
        switch version {
        case .v1: return .channelV1(client: client, server: server)
        case .v2:
            guard let script = try? Script.channelV2(server: server, client: client, expiry: Int64(expiry)) else {
                preconditionFailure("channel v2 script")
            }
            return script
        }
    }

    /// The script of contract output 0.
    static func outputScript(
        _ version: ProtocolVersion, expiry: UInt64, client: PublicKey = clientKey.publicKey,
        server: PublicKey = serverKey.publicKey
    ) -> Script {
        let signed = signedScript(version, expiry: expiry, client: client, server: server)
        return version == .v1 ? signed : .p2sh(redeemScript: signed)
    }

    static let fundingOutpoint = OutPoint(txid: Hashing.sha256d([0x66, 0x75, 0x6e, 0x64]), index: 1)

    /// A contract with one funding input and the channel output as output 0.
    static func contract(outputs: [TransactionOutput], inputs: [TransactionInput]? = nil) -> Transaction {
        Transaction(
            version: 1, inputs: inputs ?? [TransactionInput(previousOutput: fundingOutpoint)], outputs: outputs,
            lockTime: 0)
    }

    static func contract(_ version: ProtocolVersion, expiry: UInt64, value: Amount = channelValue) -> Transaction {
        contract(outputs: [TransactionOutput(value: value, scriptPubKey: outputScript(version, expiry: expiry))])
    }

    /// The v1 refund: contract output 0 in, sequence 0, lock time the expiry, one output to the client.
    static func refund(contractTxid: Hash256, expiry: UInt64) -> Transaction {
        Transaction(
            version: 1,
            inputs: [TransactionInput(previousOutput: OutPoint(txid: contractTxid, index: 0), sequence: 0)],
            outputs: [
                TransactionOutput(
                    value: amount(channelValue.satoshis - 1000), scriptPubKey: .p2pkh(publicKey: clientKey.publicKey))
            ],
            lockTime: UInt32(expiry))
    }

    static func payment(_ version: ProtocolVersion, expiry: UInt64, contract: Transaction) -> PaymentTransaction {
        PaymentTransaction(
            contractOutpoint: OutPoint(txid: contract.txid, index: 0),
            clientOutputScript: .p2pkh(publicKey: clientKey.publicKey),
            signedScript: signedScript(version, expiry: expiry))
    }

    /// A real signature over the payment for `change`, with any sighash type and key.
    static func paymentSignature(
        _ payment: PaymentTransaction, change: Amount, type: SighashType? = nil, key: PrivateKey = clientKey
    ) -> [UInt8] {
        let type = type ?? PaymentTransaction.sighashType(change: change)
        if type == PaymentTransaction.sighashType(change: change) {
            return key.sign(sighash: payment.sighash(change: change), type: type).encoded
        }
        let tx = payment.unsigned(change: change)
        guard let hash = try? tx.legacySignatureHash(inputIndex: 0, scriptCode: payment.signedScript, type: type)
        else { preconditionFailure("sighash") }
        return key.sign(sighash: hash, type: type).encoded
    }

    /// The same signature with S replaced by n − S (valid, but high S).
    static func highS(_ encoded: [UInt8]) -> [UInt8] {
        let (r, s, type) = splitDER(encoded)
        let order: [UInt8] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
            0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
        ]
        let s32 = [UInt8](repeating: 0, count: 32 - s.drop(while: { $0 == 0 }).count) + s.drop(while: { $0 == 0 })
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            var digit = Int(order[i]) - Int(s32[i]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            result[i] = UInt8(digit)
        }
        var highS = Array(result.drop(while: { $0 == 0 }))
        if let first = highS.first, first & 0x80 != 0 { highS.insert(0, at: 0) }
        return joinDER(r: r, s: highS, type: type)
    }

    /// The same signature with a superfluous zero byte before R (not strict DER).
    static func paddedR(_ encoded: [UInt8]) -> [UInt8] {
        let (r, s, type) = splitDER(encoded)
        return joinDER(r: [0] + r, s: s, type: type)
    }

    /// The same signature with another sighash byte (the signature no longer matches its hash).
    static func retyped(_ encoded: [UInt8], _ byte: UInt8) -> [UInt8] {
        Array(encoded.dropLast()) + [byte]
    }

    private static func splitDER(_ encoded: [UInt8]) -> (r: [UInt8], s: [UInt8], type: UInt8) {
        let rLength = Int(encoded[3])
        let r = Array(encoded[4..<(4 + rLength)])
        let sLength = Int(encoded[5 + rLength])
        let s = Array(encoded[(6 + rLength)..<(6 + rLength + sLength)])
        return (r, s, encoded[encoded.count - 1])
    }

    private static func joinDER(r: [UInt8], s: [UInt8], type: UInt8) -> [UInt8] {
        let body = [0x02, UInt8(r.count)] + r + [0x02, UInt8(s.count)] + s
        return [0x30, UInt8(body.count)] + body + [type]
    }
}

/// The honest conversation as far as a case needs it.
struct ServerContext: Sendable {
    var version: ProtocolVersion
    var expiry: UInt64
    var contract: Transaction
    var refund: Transaction
    var payment: PaymentTransaction
    /// The client's change in the server's best payment (channel value before the contract).
    var change: Amount

    init(version: ProtocolVersion, expiry: UInt64) {
        self.version = version
        self.expiry = expiry
        contract = Honest.contract(version, expiry: expiry)
        refund = Honest.refund(contractTxid: contract.txid, expiry: expiry)
        payment = Honest.payment(version, expiry: expiry, contract: contract)
        change = Honest.channelValue
    }

    /// A signed payment leaving `change` (or by default 1000 sat less than now).
    func update(change: Amount? = nil, type: SighashType? = nil, key: PrivateKey = Honest.clientKey)
        -> UpdatePayment
    {
        let change = change ?? Honest.amount(self.change.satoshis - 1000)
        let signature = Honest.paymentSignature(payment, change: change, type: type, key: key)
        return UpdatePayment(clientChangeValue: change.unsignedSatoshis, signature: signature)
    }

    /// The honest PROVIDE_CONTRACT, with the initial payment `initial` (default: pays 1000 sat).
    func provideContract(
        tx: Transaction? = nil, initial: UpdatePayment? = nil, clientKey: PublicKey? = Honest.clientKey.publicKey
    ) -> ChannelMessage {
        let tx = tx ?? contract
        let initial = initial ?? update()
        return .provideContract(
            ProvideContract(
                tx: WireTransaction(tx), initialPayment: initial, clientKey: version == .v2 ? clientKey : nil))
    }

    func provideRefund(_ refund: Transaction? = nil, key: PublicKey = Honest.clientKey.publicKey) -> ChannelMessage {
        .provideRefund(ProvideRefund(multisigKey: key, tx: WireTransaction(refund ?? self.refund)))
    }
}

/// How far the honest conversation goes before the hostile input.
enum ServerSetup: Sendable, CustomStringConvertible {
    case fresh
    case initiated(ProtocolVersion)
    /// Version 1, after RETURN_REFUND.
    case refunded
    case open(ProtocolVersion, payments: Int)

    var description: String {
        switch self {
        case .fresh: return "fresh"
        case .initiated(let v): return "after INITIATE \(v)"
        case .refunded: return "after RETURN_REFUND"
        case .open(let v, let payments): return "open \(v) +\(payments) payments"
        }
    }

    /// Runs the honest conversation, checking each step succeeds.
    func run() throws -> (ServerChannel, ServerContext) {
        var server = ServerChannel(
            config: Honest.serverConfig, newChannelKey: Honest.serverKey, newChannelKeyIndex: 7)
        let version: ProtocolVersion
        switch self {
        case .fresh: return (server, ServerContext(version: .v2, expiry: Honest.now + Honest.timeWindow))
        case .initiated(let v), .open(let v, _): version = v
        case .refunded: version = .v1
        }
        let hello = server.receive(
            .clientVersion(ClientVersion(major: version.rawValue, timeWindowSecs: Honest.timeWindow)), now: Honest.now)
        guard case .send(.initiate(let initiate)) = hello.last else {
            throw HarnessError.step("no INITIATE: \(hello)")
        }
        var context = ServerContext(version: version, expiry: initiate.expireTimeSecs)
        if case .initiated = self { return (server, context) }
        if version == .v1 {
            let answer = server.receive(context.provideRefund(), now: Honest.now)
            guard answer.count == 1, case .send(.returnRefund) = answer[0] else {
                throw HarnessError.step("no RETURN_REFUND: \(answer)")
            }
        }
        guard case .open(_, let payments) = self else { return (server, context) }
        let accepted = server.receive(context.provideContract(), now: Honest.now)
        guard accepted.count == 2, case .persist = accepted[0], case .broadcast = accepted[1] else {
            throw HarnessError.step("contract refused: \(accepted)")
        }
        let opened = server.broadcastCompleted(.contract, succeeded: true, now: Honest.now)
        guard opened.contains(where: { if case .send(.channelOpen) = $0 { true } else { false } }) else {
            throw HarnessError.step("no CHANNEL_OPEN: \(opened)")
        }
        context.change = Honest.amount(Honest.channelValue.satoshis - 1000)
        for _ in 0..<payments {
            let update = context.update()
            let acked = server.receive(.updatePayment(update), now: Honest.now)
            guard case .send(.paymentAck) = acked.last else { throw HarnessError.step("no PAYMENT_ACK: \(acked)") }
            context.change = Honest.amount(Int64(update.clientChangeValue))
        }
        guard server.record?.clientChange == context.change else { throw HarnessError.step("best payment") }
        return (server, context)
    }
}

enum HarnessError: Error {
    case step(String)
}

/// Checks a machine's answer to a hostile input: exactly one message sent, an `ERROR` with
/// `code`, then the connection closed; nothing persisted, broadcast, signed or acknowledged.
func expectRefusal(
    _ sends: [ChannelMessage], closes: Bool, forbidden: [String], code: ErrorCode, _ name: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(forbidden.isEmpty, "\(name): forbidden effects \(forbidden)", sourceLocation: sourceLocation)
    #expect(sends.count == 1, "\(name): sent \(sends)", sourceLocation: sourceLocation)
    guard case .error(let error) = sends.first else {
        Issue.record("\(name): no ERROR, sent \(sends)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.code == code, "\(name): \(error.code) \(error.explanation ?? "")", sourceLocation: sourceLocation)
    #expect(closes, "\(name): connection not closed last", sourceLocation: sourceLocation)
}
