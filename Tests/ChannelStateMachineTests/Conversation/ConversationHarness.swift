import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// A seeded generator for the conversation tests (SplitMix64), so that every random run can be
/// replayed from its printed seed.
struct ConversationRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Test keys made from a repeated byte (any byte 1…0x7f gives a valid secret).
func conversationKey(_ byte: UInt8) -> PrivateKey {
    guard let key = try? PrivateKey(secretBytes: [UInt8](repeating: byte, count: 32)) else {
        fatalError("test key \(byte) is invalid")
    }
    return key
}

func sat(_ value: Int64) -> Amount {
    guard let amount = Amount(exactly: value) else { fatalError("bad test amount \(value)") }
    return amount
}

/// One item on the in-memory wire: an encoded message body, or the end of the stream.
enum WireItem {
    case bytes([UInt8])
    case endOfStream
}

/// Connects a ``ClientChannel`` and a ``ServerChannel`` in memory. Carries out every effect
/// in order, passes every message through the codec, keeps both stores as dictionaries, funds
/// contracts from a made-up P2WPKH output, answers broadcasts with success and keeps every
/// transaction so that each input can be checked against the output it spends.
final class ConversationHarness {
    // Keys.
    let clientKey = conversationKey(0x11)
    let serverKey = conversationKey(0x22)
    let payoutKey = conversationKey(0x33)
    let fundingKey = conversationKey(0x44)
    static let clientKeyIndex: UInt32 = 7
    static let serverKeyIndex: UInt32 = 9

    var now: UInt64 = 1_700_000_000
    var clientConfig: ClientChannelConfig
    var serverConfig: ServerChannelConfig
    var client: ClientChannel
    var server: ServerChannel

    // Stores.
    var clientStore: [Hash256: ClientChannelRecord] = [:]
    var serverStore: [Hash256: ServerChannelRecord] = [:]

    // Wire queues: what each side sent and the other has not read yet.
    var toServer: [WireItem] = []
    var toClient: [WireItem] = []
    var clientConnectionClosed = false
    var serverConnectionClosed = false

    // What happened.
    var clientEvents: [ClientEvent] = []
    var serverEvents: [ServerEvent] = []
    var clientBroadcasts: [(Transaction, BroadcastPurpose)] = []
    var serverBroadcasts: [(Transaction, BroadcastPurpose)] = []
    var clientTimers: [ChannelTimer: UInt64] = [:]
    var serverTimers: [ChannelTimer: UInt64] = [:]
    /// Every output the harness knows about (funding outputs and outputs of every transaction
    /// seen), by outpoint: the outputs that inputs are verified against.
    var knownOutputs: [OutPoint: TransactionOutput] = [:]
    /// The funding transactions' spent outputs, one per contract built.
    var fundingOutpoints: [OutPoint] = []
    private var fundingCounter: UInt8 = 0
    /// The server's stored best value after every server payment persist (for monotonicity).
    var serverBestHistory: [Amount] = []
    /// The client's stored value left after every client payment persist.
    var clientValueLeftHistory: [Amount] = []

    init(clientConfig: ClientChannelConfig, serverConfig: ServerChannelConfig) {
        self.clientConfig = clientConfig
        self.serverConfig = serverConfig
        client = ClientChannel(
            config: clientConfig, serverID: "server", key: clientKey, keyIndex: Self.clientKeyIndex)
        server = ServerChannel(config: serverConfig, newChannelKey: serverKey, newChannelKeyIndex: Self.serverKeyIndex)
    }

    convenience init(
        version selector: VersionSelector, serverVersions: Set<ProtocolVersion> = [.v1, .v2],
        channelValue: Int64 = 10_000_000
    ) {
        let clientConfig = ClientChannelConfig(channelValue: sat(channelValue), versionSelector: selector)
        let serverConfig = ServerChannelConfig(
            payoutScript: Script.p2wpkh(publicKey: conversationKey(0x33).publicKey), supportedVersions: serverVersions)
        self.init(clientConfig: clientConfig, serverConfig: serverConfig)
    }

    // MARK: - Driving

    /// Starts a conversation (a new one, or one resuming `resuming`) on fresh machines.
    func connect(resuming: ClientChannelRecord? = nil) {
        client = ClientChannel(
            config: clientConfig, serverID: "server", key: clientKey, keyIndex: Self.clientKeyIndex,
            resuming: resuming)
        server = ServerChannel(config: serverConfig, newChannelKey: serverKey, newChannelKeyIndex: Self.serverKeyIndex)
        toServer = []
        toClient = []
        clientConnectionClosed = false
        serverConnectionClosed = false
        runClient(client.start(now: now))
    }

    /// Delivers every queued message, in order, alternating sides, until both queues are empty.
    func deliverAll() {
        while !toServer.isEmpty || !toClient.isEmpty {
            if !toServer.isEmpty { deliverOneToServer() }
            if !toClient.isEmpty { deliverOneToClient() }
        }
    }

    /// Delivers queued messages in a random interleaving of the two directions.
    func deliverAllRandomly(using random: inout ConversationRandom) {
        while !toServer.isEmpty || !toClient.isEmpty {
            if toClient.isEmpty || (!toServer.isEmpty && Bool.random(using: &random)) {
                deliverOneToServer()
            } else {
                deliverOneToClient()
            }
        }
    }

    func deliverOneToServer() {
        guard !toServer.isEmpty else { return }
        let item = toServer.removeFirst()
        guard !serverConnectionClosed else { return }
        switch item {
        case .bytes(let bytes): runServer(server.receive(bytes: bytes, now: now))
        case .endOfStream:
            serverConnectionClosed = true
            runServer(server.connectionClosed())
        }
    }

    func deliverOneToClient() {
        guard !toClient.isEmpty else { return }
        let item = toClient.removeFirst()
        guard !clientConnectionClosed else { return }
        switch item {
        case .bytes(let bytes): runClient(client.receive(bytes: bytes, now: now))
        case .endOfStream:
            clientConnectionClosed = true
            runClient(client.connectionClosed())
        }
    }

    /// Cuts the connection: both machines see it close; nothing queued is delivered.
    func cutConnection() {
        toServer = []
        toClient = []
        clientConnectionClosed = true
        serverConnectionClosed = true
        runClient(client.connectionClosed())
        runServer(server.connectionClosed())
    }

    /// Pays `amount` and returns the amount actually signed away (more when the change would
    /// be dust). Does not deliver anything.
    @discardableResult
    func pay(_ amount: Amount, info: [UInt8]? = nil) throws -> Amount {
        let before = client.record?.valueLeft ?? .zero
        let effects = try client.pay(amount, info: info)
        runClient(effects)
        let after = client.record?.valueLeft ?? .zero
        return try before.subtracting(after)
    }

    // MARK: - Effects

    func runClient(_ effects: [ClientEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message):
                toServer.append(.bytes(message.encoded()))
            case .persist(let update):
                applyClient(update)
            case .fundContract(let output):
                let contract = fundContract(output: output)
                runClient(client.contractFunded(contract, now: now))
            case .broadcast(let tx, let purpose):
                learn(tx)
                clientBroadcasts.append((tx, purpose))
            case .armTimer(let timer, let at):
                clientTimers[timer] = at
            case .cancelTimer(let timer):
                clientTimers[timer] = nil
            case .report(let event):
                clientEvents.append(event)
            case .closeConnection:
                toServer.append(.endOfStream)
                clientConnectionClosed = true
            }
        }
    }

    func runServer(_ effects: [ServerEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message):
                toClient.append(.bytes(message.encoded()))
            case .persist(let update):
                applyServer(update)
            case .lookUpStoredChannel(let txid):
                if let record = serverStore[txid] {
                    #expect(record.serverKeyIndex == Self.serverKeyIndex)
                    runServer(server.storedChannelFound(record, key: serverKey, now: now))
                } else {
                    runServer(server.storedChannelMissing(now: now))
                }
            case .broadcast(let tx, let purpose):
                learn(tx)
                serverBroadcasts.append((tx, purpose))
                runServer(server.broadcastCompleted(purpose, succeeded: true, now: now))
            case .armTimer(let timer, let at):
                serverTimers[timer] = at
            case .cancelTimer(let timer):
                serverTimers[timer] = nil
            case .report(let event):
                serverEvents.append(event)
            case .closeConnection:
                toClient.append(.endOfStream)
                serverConnectionClosed = true
            }
        }
    }

    private func applyClient(_ update: ClientStoreUpdate) {
        switch update {
        case .channel(let record):
            clientStore[record.contractTxid] = record
        case .payment(let txid, let valueLeft):
            guard var record = clientStore[txid] else {
                Issue.record("client payment persisted for an unknown channel")
                return
            }
            #expect(valueLeft <= record.valueLeft, "client value left went up")
            record.valueLeft = valueLeft
            clientStore[txid] = record
            clientValueLeftHistory.append(valueLeft)
        case .state(let txid, let state, let settlement):
            guard var record = clientStore[txid] else {
                Issue.record("client state persisted for an unknown channel")
                return
            }
            record.state = state
            if let settlement { record.settlement = settlement }
            clientStore[txid] = record
        }
    }

    private func applyServer(_ update: ServerStoreUpdate) {
        switch update {
        case .channel(let record):
            clientCheckBest(record.bestValueToServer, channelValue: record.channelValue, previous: nil)
            serverStore[record.contractTxid] = record
            serverBestHistory.append(record.bestValueToServer)
        case .payment(let txid, let best, let signature):
            guard var record = serverStore[txid] else {
                Issue.record("server payment persisted for an unknown channel")
                return
            }
            clientCheckBest(best, channelValue: record.channelValue, previous: record.bestValueToServer)
            record.bestValueToServer = best
            record.bestSignature = signature
            serverStore[txid] = record
            serverBestHistory.append(best)
        case .state(let txid, let state, let settlement):
            guard var record = serverStore[txid] else {
                Issue.record("server state persisted for an unknown channel")
                return
            }
            record.state = state
            if let settlement { record.settlement = settlement }
            serverStore[txid] = record
        }
    }

    private func clientCheckBest(_ best: Amount, channelValue: Amount, previous: Amount?) {
        #expect(best <= channelValue, "server best value \(best) exceeds the channel value \(channelValue)")
        if let previous { #expect(best >= previous, "server best value went down: \(previous) -> \(best)") }
    }

    // MARK: - Chain

    /// Builds a signed contract: one input spending a made-up P2WPKH output owned by the
    /// funding key, output 0 exactly `output`, change back to the funding key.
    func fundContract(output: TransactionOutput) -> Transaction {
        fundingCounter &+= 1
        let fundingScript = Script.p2wpkh(publicKey: fundingKey.publicKey)
        let change = sat(40_000)
        let fee = sat(2_000)
        let fundingValue = (try? output.value.adding(change).adding(fee)) ?? output.value
        let fundingOutput = TransactionOutput(value: fundingValue, scriptPubKey: fundingScript)
        var txidBytes = [UInt8](repeating: 0xab, count: 32)
        txidBytes[0] = fundingCounter
        guard let fundingTxid = Hash256(internalOrder: txidBytes) else { fatalError("bad made-up txid") }
        let outpoint = OutPoint(txid: fundingTxid, index: 1)
        knownOutputs[outpoint] = fundingOutput
        fundingOutpoints.append(outpoint)
        var contract = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: outpoint)],
            outputs: [output, TransactionOutput(value: change, scriptPubKey: fundingScript)], lockTime: 0)
        do {
            let signature = try contract.signSegwitV0Input(0, spentOutput: fundingOutput, key: fundingKey)
            contract.inputs[0].witness = [signature.encoded, fundingKey.publicKey.bytes]
        } catch {
            Issue.record("could not sign the contract: \(error)")
        }
        return contract
    }

    /// Remembers `tx`'s outputs so later spends can be verified.
    func learn(_ tx: Transaction) {
        let txid = tx.txid
        for (index, output) in tx.outputs.enumerated() {
            knownOutputs[OutPoint(txid: txid, index: UInt32(index))] = output
        }
    }

    /// Verifies every input of `tx` against the output it spends.
    func verifyAllInputs(_ tx: Transaction, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!tx.inputs.isEmpty, "\(what) has no inputs", sourceLocation: sourceLocation)
        for (index, input) in tx.inputs.enumerated() {
            guard let spent = knownOutputs[input.previousOutput] else {
                Issue.record("\(what) input \(index) spends an unknown output", sourceLocation: sourceLocation)
                continue
            }
            do {
                try ScriptVerifier.verify(transaction: tx, inputIndex: index, spentOutput: spent)
            } catch {
                Issue.record("\(what) input \(index) does not verify: \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: - Views

    var clientAcks: [(amount: Amount, valueLeft: Amount, info: [UInt8]?)] {
        clientEvents.compactMap {
            if case .paymentAcknowledged(let amount, let valueLeft, let info) = $0 { return (amount, valueLeft, info) }
            return nil
        }
    }

    var serverPayments: [(amount: Amount, total: Amount, info: [UInt8]?)] {
        serverEvents.compactMap {
            if case .paymentReceived(_, let amount, let total, let info) = $0 { return (amount, total, info) }
            return nil
        }
    }

    var serverSettlement: (tx: Transaction, fee: Amount)? {
        for event in serverEvents {
            if case .settled(_, let tx, let fee) = event { return (tx, fee) }
        }
        return nil
    }

    var clientSettlement: Transaction? {
        for event in clientEvents {
            if case .settled(_, let tx) = event { return tx }
        }
        return nil
    }

    var clientCloseReasons: [CloseReason] {
        clientEvents.compactMap { if case .closed(let reason) = $0 { return reason } else { return nil } }
    }

    var serverCloseReasons: [CloseReason] {
        serverEvents.compactMap { if case .closed(let reason) = $0 { return reason } else { return nil } }
    }
}
