import BitcoinPrimitives
import ChannelStateMachine

/// The input of the machine targets: a sequence of chunks, each
/// `[control: 1 byte][length: 2 bytes, big-endian][body: length bytes]`; a length past the
/// end of the input takes what is left. The body is one framed message for the machine; the
/// control byte says how the harness answers the machine and what it does around the message:
///
/// - bit 0: broadcasts (server) and funding (client) fail;
/// - bit 1: server: a stored channel asked for is reported missing; client: pay 1000 sat
///   after the message;
/// - bit 2: fire the timers due by now after the message;
/// - bit 3: before the message, close the connection and start a new machine (a client offers
///   to resume the channel it stored; a server finds the channels stored so far);
/// - bits 4-5: before the message, advance the clock by 0, 10 min, 1 h or 1 day;
/// - bit 6: server: settle after the message; client: close after the message.
///
/// Seeds are recorded conversations with control bytes 0.
public struct FuzzChunks: Sequence, IteratorProtocol {
    public struct Chunk {
        public var control: UInt8
        public var body: [UInt8]
    }

    let data: [UInt8]
    var offset = 0

    public init(_ data: [UInt8]) { self.data = data }

    public mutating func next() -> Chunk? {
        guard offset < data.count else { return nil }
        let control = data[offset]
        let high = offset + 1 < data.count ? Int(data[offset + 1]) : 0
        let low = offset + 2 < data.count ? Int(data[offset + 2]) : 0
        offset = Swift.min(offset + 3, data.count)
        let length = Swift.min(high << 8 | low, data.count - offset)
        let body = Array(data[offset..<offset + length])
        offset += length
        return Chunk(control: control, body: body)
    }

    /// Encodes chunks (for seeds and tests).
    public static func encode(_ chunks: [(control: UInt8, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for chunk in chunks {
            let length = Swift.min(chunk.body.count, 0xffff)
            out += [chunk.control, UInt8(length >> 8), UInt8(length & 0xff)] + chunk.body.prefix(length)
        }
        return out
    }

    static func clockStep(_ control: UInt8) -> UInt64 {
        [0, 600, 3600, 86400][Int(control >> 4 & 3)]
    }
}

/// Fixed parties of the machine targets: the keys of the recorded bitcoinj conversations.
enum FuzzParties {
    static let start: UInt64 = 1_767_225_600
    static let serverKey = key("05a333f4ba46b49dd1f060b888f3af46cefc3bf29dca7def22486c0a55f291c3")
    static let clientKey = key("f964d50d49c3b3a9c59a11da5d4b7a336ce741f10e9fdcd52f80d2d7b4c616f2")
    static let payoutScript = Script.p2pkh(publicKey: clientKey.publicKey)

    static func key(_ hex: String) -> PrivateKey {
        guard let bytes = [UInt8](hex: hex), let key = try? PrivateKey(secretBytes: bytes) else {
            fatalError("bad fixed fuzz key")
        }
        return key
    }

    /// Everything a machine sends must encode to something that decodes to it.
    static func checkSent(_ message: ChannelMessage) {
        let decoded = try? ChannelMessage(decoding: message.encoded())
        fuzzInvariant(decoded == message, "sent \(message.type) does not survive encode and decode")
    }
}

enum FuzzServer {
    static let config = ServerChannelConfig(payoutScript: FuzzParties.payoutScript)

    static func run(_ data: [UInt8]) {
        var now = FuzzParties.start
        var store: [Hash256: ServerChannelRecord] = [:]
        var timers: [ChannelTimer: UInt64] = [:]
        var machine = newMachine()
        for chunk in FuzzChunks(data) {
            let control = chunk.control
            now += FuzzChunks.clockStep(control)
            if control & 0x08 != 0 {
                carryOut(machine.connectionClosed(), &machine, control, now, &store, &timers)
                machine = newMachine()
                timers = [:]
            }
            let wasClosed = machine.isClosed
            let effects = machine.receive(bytes: chunk.body, now: now)
            if wasClosed { fuzzInvariant(effects.isEmpty, "a closed server machine answered a message") }
            carryOut(effects, &machine, control, now, &store, &timers)
            if control & 0x04 != 0 {
                for (timer, at) in timers where at <= now {
                    timers[timer] = nil
                    carryOut(machine.timerFired(timer, now: now), &machine, control, now, &store, &timers)
                }
            }
            if control & 0x40 != 0 {
                carryOut(machine.settle(now: now), &machine, control, now, &store, &timers)
            }
        }
    }

    static func newMachine() -> ServerChannel {
        ServerChannel(config: config, newChannelKey: FuzzParties.serverKey, newChannelKeyIndex: 0)
    }

    /// Carries out effects, answering lookups and broadcasts as the control byte says.
    static func carryOut(
        _ effects: [ServerEffect], _ machine: inout ServerChannel, _ control: UInt8, _ now: UInt64,
        _ store: inout [Hash256: ServerChannelRecord], _ timers: inout [ChannelTimer: UInt64]
    ) {
        var queue = effects[...]
        var steps = 0
        while let effect = queue.popFirst() {
            steps += 1
            fuzzInvariant(steps < 10_000, "a server machine keeps asking")
            switch effect {
            case .send(let message): FuzzParties.checkSent(message)
            case .persist(.channel(let record)): store[record.contractTxid] = record
            case .persist(.payment(let txid, let value, let signature)):
                store[txid]?.bestValueToServer = value
                store[txid]?.bestSignature = signature
            case .persist(.state(let txid, let state, let settlement)):
                store[txid]?.state = state
                store[txid]?.settlement = settlement
            case .lookUpStoredChannel(let txid):
                if control & 0x02 == 0, let record = store[txid] {
                    queue += machine.storedChannelFound(record, key: FuzzParties.serverKey, now: now)
                } else {
                    queue += machine.storedChannelMissing(now: now)
                }
            case .broadcast(_, let purpose):
                queue += machine.broadcastCompleted(purpose, succeeded: control & 0x01 == 0, now: now)
            case .armTimer(let timer, let at): timers[timer] = at
            case .cancelTimer(let timer): timers[timer] = nil
            case .report, .closeConnection: break
            }
        }
    }
}

enum FuzzClient {
    static let config = ClientChannelConfig(
        channelValue: Amount(exactly: 1_000_000) ?? .zero, versionSelector: .v2AllowV1)

    static func run(_ data: [UInt8]) {
        var now = FuzzParties.start
        var stored: ClientChannelRecord?
        var timers: [ChannelTimer: UInt64] = [:]
        var machine = newMachine(resuming: nil)
        carryOut(machine.start(now: now), &machine, 0, now, &stored, &timers)
        for chunk in FuzzChunks(data) {
            let control = chunk.control
            now += FuzzChunks.clockStep(control)
            if control & 0x08 != 0 {
                carryOut(machine.connectionClosed(), &machine, control, now, &stored, &timers)
                machine = newMachine(resuming: stored)
                timers = [:]
                carryOut(machine.start(now: now), &machine, control, now, &stored, &timers)
            }
            let wasClosed = machine.isClosed
            let effects = machine.receive(bytes: chunk.body, now: now)
            if wasClosed { fuzzInvariant(effects.isEmpty, "a closed client machine answered a message") }
            carryOut(effects, &machine, control, now, &stored, &timers)
            if control & 0x04 != 0 {
                for (timer, at) in timers where at <= now {
                    timers[timer] = nil
                    carryOut(machine.timerFired(timer, now: now), &machine, control, now, &stored, &timers)
                }
            }
            if control & 0x02 != 0, machine.isOpen {
                let before = machine.record?.valueLeft
                if let effects = try? machine.pay(Amount(exactly: 1000) ?? .zero, info: [0x66]) {
                    carryOut(effects, &machine, control, now, &stored, &timers)
                } else {
                    fuzzInvariant(machine.record?.valueLeft == before, "a refused payment changed the balance")
                }
            }
            if control & 0x40 != 0 {
                carryOut(machine.close(), &machine, control, now, &stored, &timers)
            }
        }
    }

    static func newMachine(resuming record: ClientChannelRecord?) -> ClientChannel {
        ClientChannel(config: config, serverID: "fuzz", key: FuzzParties.clientKey, keyIndex: 0, resuming: record)
    }

    /// A contract as a wallet would fund it: output 0 is the channel output, plus change.
    static func fund(_ output: TransactionOutput) -> Transaction {
        let input = TransactionInput(
            previousOutput: OutPoint(txid: Hashing.sha256d(output.scriptPubKey.bytes), index: 1),
            scriptSig: Script(bytes: [0x51]))
        let change = TransactionOutput(value: Amount(exactly: 5_000) ?? .zero, scriptPubKey: FuzzParties.payoutScript)
        return Transaction(version: 1, inputs: [input], outputs: [output, change])
    }

    static func carryOut(
        _ effects: [ClientEffect], _ machine: inout ClientChannel, _ control: UInt8, _ now: UInt64,
        _ stored: inout ClientChannelRecord?, _ timers: inout [ChannelTimer: UInt64]
    ) {
        var queue = effects[...]
        var steps = 0
        while let effect = queue.popFirst() {
            steps += 1
            fuzzInvariant(steps < 10_000, "a client machine keeps asking")
            switch effect {
            case .send(let message): FuzzParties.checkSent(message)
            case .persist(.channel(let record)): stored = record
            case .persist(.payment(let txid, let valueLeft)):
                if stored?.contractTxid == txid { stored?.valueLeft = valueLeft }
            case .persist(.state(let txid, let state, _)):
                if stored?.contractTxid == txid { stored?.state = state }
            case .fundContract(let output):
                if control & 0x01 == 0 {
                    queue += machine.contractFunded(fund(output), now: now)
                } else {
                    queue += machine.fundingFailed("fuzz")
                }
            case .armTimer(let timer, let at): timers[timer] = at
            case .cancelTimer(let timer): timers[timer] = nil
            case .broadcast, .report, .closeConnection: break
            }
        }
    }
}
