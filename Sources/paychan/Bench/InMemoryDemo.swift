import BitcoinPrimitives
import ChannelStateMachine

/// Drives a ``ClientChannel`` and a ``ServerChannel`` against each other in memory, carrying out
/// their effects: messages go through the codec, persists and broadcasts are recorded, the
/// contract is funded from a made-up P2WPKH output.
struct InMemoryDemo {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Summary {
        let text: String
    }

    let version: ProtocolVersion
    let channelValue: Amount
    let now: UInt64 = 1_767_225_600
    var client: ClientChannel
    var server: ServerChannel
    let wallet: ExtendedPrivateKey
    var broadcasts: [(BroadcastPurpose, Transaction)] = []
    var spentOutputs: [OutPoint: TransactionOutput] = [:]
    var acknowledged: Amount = .zero
    var settlementFee: Amount = .zero

    init(version: ProtocolVersion, channelValue: Amount) throws {
        self.version = version
        self.channelValue = channelValue
        let serverRoot = try ExtendedPrivateKey(seed: Hashing.sha256(Array("paychan demo server seed".utf8)))
        let clientRoot = try ExtendedPrivateKey(seed: Hashing.sha256(Array("paychan demo client seed".utf8)))
        let serverKey = try serverRoot.derived(DerivationPath("m/0'/0'")).privateKey
        let payout = try serverRoot.derived(DerivationPath("m/1'/0'")).privateKey.publicKey
        let clientKey = try clientRoot.derived(DerivationPath("m/0'/0'")).privateKey
        wallet = try clientRoot.derived(DerivationPath("m/2'/0'"))
        server = ServerChannel(
            config: ServerChannelConfig(payoutScript: .p2wpkh(publicKey: payout)), newChannelKey: serverKey,
            newChannelKeyIndex: 0)
        client = ClientChannel(
            config: ClientChannelConfig(
                channelValue: channelValue, versionSelector: version == .v1 ? .v1 : .v2),
            serverID: "demo", key: clientKey, keyIndex: 0)
    }

    mutating func run(payments: Int, amount: Amount) throws -> Summary {
        let start = ContinuousClock.now
        try open()
        var made = 0
        while made < payments, let left = client.record?.valueLeft, left >= amount {
            try pay(amount, info: Array("order-\(made)".utf8))
            made += 1
        }
        try close()
        let elapsed = ContinuousClock.now - start
        guard let settlement = broadcasts.last(where: { $0.0 == .settlement })?.1 else {
            throw Failure(description: "no settlement was broadcast")
        }
        for (_, tx) in broadcasts {
            for (index, input) in tx.inputs.enumerated() {
                guard let spent = spentOutputs[input.previousOutput] else { continue }
                try ScriptVerifier.verify(transaction: tx, inputIndex: index, spentOutput: spent)
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(made + 1) / seconds : 0
        let text = """
            protocol        v\(version.rawValue)
            channel value   \(channelValue.satoshis) sat
            payments        \(made + 1) (initial + \(made)), all acknowledged
            paid            \(acknowledged.satoshis) sat
            settlement      \(settlement.txid.displayHex)
            settlement fee  \(settlementFee.satoshis) sat
            payments/s      \(Int(rate)) (in memory, one thread, debug or release as built)
            every input of contract and settlement verified by the script verifier
            """
        return Summary(text: text)
    }

    /// Opens the channel: the whole handshake, the contract's funding and the initial payment.
    mutating func open() throws {
        try handle(client.start(now: now))
        guard client.isOpen else { throw Failure(description: "the channel did not open") }
    }

    /// Makes one payment and carries it through the server to its acknowledgement.
    mutating func pay(_ amount: Amount, info: [UInt8]?) throws {
        try handle(client.pay(amount, info: info))
    }

    /// Asks the server to settle; the settlement is broadcast (recorded) before this returns.
    mutating func close() throws {
        try handle(client.close())
    }

    private mutating func handle(_ effects: [ClientEffect]) throws {
        for effect in effects {
            switch effect {
            case .send(let message): try handle(server.receive(bytes: message.encoded(), now: now))
            case .fundContract(let output): try handle(client.contractFunded(try fund(output), now: now))
            case .report(.paymentAcknowledged(let amount, _, _)): acknowledged = try acknowledged.adding(amount)
            case .report(.closed(.localError(let error))):
                throw Failure(description: "client closed: \(error)")
            case .report(.closed(.remoteError(let code, let explanation))):
                throw Failure(description: "server sent ERROR \(code): \(explanation)")
            case .persist, .broadcast, .armTimer, .cancelTimer, .report, .closeConnection: break
            }
        }
    }

    private mutating func handle(_ effects: [ServerEffect]) throws {
        for effect in effects {
            switch effect {
            case .send(let message): try handle(client.receive(bytes: message.encoded(), now: now))
            case .broadcast(let tx, let purpose):
                broadcasts.append((purpose, tx))
                if purpose == .contract, let output = tx.outputs.first {
                    spentOutputs[OutPoint(txid: tx.txid, index: 0)] = output
                }
                try handle(server.broadcastCompleted(purpose, succeeded: true, now: now))
            case .lookUpStoredChannel: try handle(server.storedChannelMissing(now: now))
            case .report(.settled(_, _, let fee)): settlementFee = fee
            case .report(.closed(.localError(let error))): throw Failure(description: "server closed: \(error)")
            case .persist, .armTimer, .cancelTimer, .report, .closeConnection: break
            }
        }
    }

    /// A contract spending a made-up P2WPKH output of the demo wallet, signed with BIP143.
    private mutating func fund(_ output: TransactionOutput) throws -> Transaction {
        let key = wallet.privateKey
        let funding = try TransactionOutput(
            value: channelValue.adding(Amount(satoshis: Int64(10_000))), scriptPubKey: .p2wpkh(publicKey: key.publicKey)
        )
        let outpoint = OutPoint(txid: Hashing.sha256d(Array("demo funding".utf8)), index: 0)
        spentOutputs[outpoint] = funding
        var contract = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: outpoint)], outputs: [output], lockTime: 0)
        let signature = try contract.signSegwitV0Input(0, spentOutput: funding, key: key)
        contract.inputs[0].witness = [signature.encoded, key.publicKey.bytes]
        try ScriptVerifier.verify(transaction: contract, inputIndex: 0, spentOutput: funding)
        return contract
    }
}
