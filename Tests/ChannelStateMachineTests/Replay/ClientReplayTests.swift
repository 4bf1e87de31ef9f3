import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

/// Runs a `ClientChannel` against bitcoinj's recorded server messages: our client's messages
/// must equal bitcoinj's client messages, and every server message must be accepted.
struct ClientHarness {
    let config: ClientChannelConfig
    let key: PrivateKey
    let now: UInt64
    let serverID: String
    let contract: Transaction
    var store: [Hash256: ClientChannelRecord] = [:]
    var client: ClientChannel
    /// Messages our client sent and not yet compared, encoded.
    var outbox: [[UInt8]] = []
    var events: [ClientEvent] = []
    var fundingRequests: [TransactionOutput] = []
    var errorsSent: [ErrorMessage] = []

    init(config: ClientChannelConfig, key: PrivateKey, now: UInt64, serverID: String, contract: Transaction) {
        self.config = config
        self.key = key
        self.now = now
        self.serverID = serverID
        self.contract = contract
        client = ClientChannel(config: config, serverID: serverID, key: key, keyIndex: 0)
    }

    /// A new connection: a new machine, resuming the stored open channel if there is one.
    mutating func newConnection() {
        let resumable = store.values.first { $0.state == .open }
        client = ClientChannel(config: config, serverID: serverID, key: key, keyIndex: 0, resuming: resumable)
        outbox = []
        carryOut(client.start(now: now))
    }

    mutating func receive(_ bytes: [UInt8]) { carryOut(client.receive(bytes: bytes, now: now)) }
    mutating func pay(_ amount: Amount, info: [UInt8]?) throws { carryOut(try client.pay(amount, info: info)) }
    mutating func close() { carryOut(client.close()) }
    mutating func connectionClosed() { carryOut(client.connectionClosed()) }

    mutating func carryOut(_ effects: [ClientEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message):
                if case .error(let error) = message { errorsSent.append(error) }
                outbox.append(message.encoded())
            case .persist(let update): apply(update)
            case .fundContract(let output):
                fundingRequests.append(output)
                carryOut(client.contractFunded(contract, now: now))
            case .broadcast, .armTimer, .cancelTimer, .closeConnection: break
            case .report(let event): events.append(event)
            }
        }
    }

    mutating func apply(_ update: ClientStoreUpdate) {
        switch update {
        case .channel(let record): store[record.contractTxid] = record
        case .payment(let txid, let valueLeft): store[txid]?.valueLeft = valueLeft
        case .state(let txid, let state, let settlement):
            store[txid]?.state = state
            if let settlement { store[txid]?.settlement = settlement }
        }
    }
}

@Suite struct ClientReplayTests {
    @Test(arguments: Fixtures.channelFiles)
    func clientMatchesBitcoinjClient(file: String) throws {
        let fixture = try Fixtures.load(file)
        let now = try ReplaySetup.uint64(fixture, "now")
        let settings = fixture["client_settings"] as? [String: Any] ?? [:]
        let selector: VersionSelector = try ReplaySetup.string(settings, "version_selector") == "VERSION_1" ? .v1 : .v2
        let config = ClientChannelConfig(
            channelValue: try ReplaySetup.amount(Int64(try ReplaySetup.uint64(settings, "value"))),
            versionSelector: selector, timeWindow: try ReplaySetup.uint64(settings, "time_window_secs"))
        let transactions = fixture["transactions"] as? [String: Any] ?? [:]
        let contractEntry = transactions["contract"] as? [String: Any] ?? [:]
        let contract = try Transaction(bytes: try ReplaySetup.bytes(contractEntry, "hex"))
        var harness = ClientHarness(
            config: config, key: try ReplaySetup.clientKey(fixture), now: now,
            serverID: try ReplaySetup.string(settings, "server_id"), contract: contract)

        // The payments after the initial one, in order: (increment, info).
        let payments = (transactions["payments"] as? [[String: Any]] ?? []).filter {
            ($0["n"] as? NSNumber)?.intValue != 0
        }
        var nextPayment = 0
        var acks = 0
        var compared: [String: Int] = [:]
        let steps = try ReplaySetup.steps(fixture["messages"] as? [[String: Any]] ?? [])
        for step in steps {
            switch step {
            case .open:
                harness.newConnection()
            case .closed:
                harness.connectionClosed()
            case .server(let seq, let type, let bytes):
                let errorsBefore = harness.errorsSent.count
                harness.receive(bytes)
                #expect(
                    harness.errorsSent.count == errorsBefore, "\(file)#\(seq) \(type) refused: \(harness.errorsSent)")
                if type == "PAYMENT_ACK" { acks += 1 }
            case .client(let seq, let type, let bytes):
                if harness.outbox.isEmpty {
                    switch type {
                    case "UPDATE_PAYMENT":
                        guard nextPayment < payments.count else {
                            Issue.record("\(file)#\(seq): more payments than recorded")
                            continue
                        }
                        let entry = payments[nextPayment]
                        nextPayment += 1
                        let increment = try ReplaySetup.amount(Int64(try ReplaySetup.uint64(entry, "increment")))
                        let info = (entry["info"] as? String).flatMap { [UInt8](hex: $0) }
                        try harness.pay(increment, info: info)
                    case "CLOSE":
                        harness.close()
                    default:
                        break
                    }
                }
                guard !harness.outbox.isEmpty else {
                    Issue.record("\(file)#\(seq) \(type): our client sent nothing here")
                    continue
                }
                let ours = harness.outbox.removeFirst()
                #expect(
                    ours.hex == bytes.hex,
                    "\(file)#\(seq) \(type) differs:\(ReplaySetup.explainMismatch(ours: ours, theirs: bytes))")
                compared[type, default: 0] += 1
            }
        }
        #expect(nextPayment == payments.count)
        #expect(harness.errorsSent.isEmpty)
        // The wallet was asked for exactly the recorded contract's output 0.
        #expect(harness.fundingRequests == [contract.outputs[0]])
        // Every PAYMENT_ACK (and the opening, for the initial payment) was reported.
        let acknowledged = harness.events.filter {
            if case .paymentAcknowledged = $0 { return true } else { return false }
        }
        #expect(acknowledged.count == acks + 1, "\(file): \(acknowledged)")
        let echoed = acknowledged.compactMap { event -> [UInt8]? in
            if case .paymentAcknowledged(_, _, let info) = event { return info } else { return nil }
        }
        #expect(echoed.contains(Array("order-1".utf8)))
        // Channel openings as bitcoinj's client reported them (was_initiated = not resumed).
        let recordedOpens = (fixture["events"] as? [[String: Any]] ?? []).filter {
            $0["event"] as? String == "client.channelOpen"
        }.map { ($0["was_initiated"] as? Bool) == false }
        let ourOpens = harness.events.compactMap { event -> Bool? in
            if case .channelOpened(_, _, _, _, let resumed) = event { return resumed } else { return nil }
        }
        #expect(ourOpens == recordedOpens)
        // The final CLOSE carried the settlement, accepted and reported.
        let settlement = try Transaction(
            bytes: try ReplaySetup.bytes(transactions["settlement"] as? [String: Any] ?? [:], "hex"))
        #expect(
            harness.events.contains(.settled(contractTxid: contract.txid, settlement: settlement)),
            "\(file): \(harness.events)")
        #expect(harness.store[contract.txid]?.state == .settled)
        // The refund our client holds is bitcoinj's, byte for byte (v1: co-signed by the server;
        // v2: the client's own CLTV refund, which bitcoinj never sends).
        let theirRefund = try Transaction(
            bytes: try ReplaySetup.bytes(transactions["refund"] as? [String: Any] ?? [:], "hex"))
        let ourRefund = try #require(harness.store[contract.txid]?.refund)
        if selector == .v1 {
            #expect(ourRefund.serialized.hex == theirRefund.serialized.hex, "\(file): refund")
        } else {
            // v2: bitcoinj selects the ELSE branch with a one-byte push of 0x00; we use OP_0
            // (PROTOCOL.md). Both are false for OP_IF and minimal pushes; everything else,
            // the signature included, is identical.
            #expect(ourRefund.serialized.count + 1 == theirRefund.serialized.count)
            let theirOps = try theirRefund.inputs[0].scriptSig.operations()
            let ourOps = try ourRefund.inputs[0].scriptSig.operations()
            #expect(theirOps.count == 3 && ourOps.count == 3)
            #expect(theirOps.map(\.data)[1] == [0x00] && ourOps[1].opcode == .op0)
            var normalised = theirRefund
            var builder = ScriptBuilder()
            builder.push(theirOps[0].data ?? [])
            builder.add(.op0)
            builder.push(theirOps[2].data ?? [])
            normalised.inputs[0].scriptSig = builder.script
            #expect(ourRefund.serialized.hex == normalised.serialized.hex, "\(file): refund")
        }
        // Both refunds pass Bitcoin Core's standard script checks (CLTV against the lock time).
        for refund in [ourRefund, theirRefund] {
            #expect(throws: Never.self) {
                try ScriptVerifier.verify(transaction: refund, inputIndex: 0, spentOutput: contract.outputs[0])
            }
        }
        if let sent = transactions["refund_unsigned_sent"] as? [String: Any] {
            let provideRefund = steps.compactMap { step -> [UInt8]? in
                if case .client(_, "PROVIDE_REFUND", let bytes) = step { return bytes } else { return nil }
            }
            guard let bytes = provideRefund.first, case .provideRefund(let refund) = try ChannelMessage(decoding: bytes)
            else {
                Issue.record("\(file): no PROVIDE_REFUND recorded")
                return
            }
            #expect(refund.tx.bytes.hex == (try ReplaySetup.string(sent, "hex")))
        }
        #expect(compared["CLIENT_VERSION"] != nil && compared["PROVIDE_CONTRACT"] == 1 && compared["CLOSE"] == 1)
        if selector == .v1 { #expect(compared["PROVIDE_REFUND"] == 1) }
    }
}
