import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

/// The bitcoinj fixtures' setup (README "Exact setup") and small helpers shared by the replays.
enum ReplaySetup {
    static let payoutScriptHex = "76a914ba3d2f5cf5b0973d3d10573dd9bbcddb745e397b88ac"

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw Failure("missing string field \(key)") }
        return value
    }

    static func bytes(_ object: [String: Any], _ key: String) throws -> [UInt8] {
        guard let value = [UInt8](hex: try string(object, key)) else { throw Failure("field \(key) is not hex") }
        return value
    }

    static func uint64(_ object: [String: Any], _ key: String) throws -> UInt64 {
        guard let value = (object[key] as? NSNumber)?.uint64Value else { throw Failure("missing number \(key)") }
        return value
    }

    static func amount(_ satoshis: Int64) throws -> Amount {
        guard let value = Amount(exactly: satoshis) else { throw Failure("bad amount \(satoshis)") }
        return value
    }

    /// The server terms every fixture was recorded with.
    static func serverConfig() throws -> ServerChannelConfig {
        guard let payout = [UInt8](hex: payoutScriptHex) else { throw Failure("payout script") }
        return ServerChannelConfig(
            payoutScript: Script(bytes: payout), supportedVersions: [.v1, .v2],
            minChannelValue: try amount(100_000), minPayment: try amount(1000), minTimeWindow: 14_400,
            maxTimeWindow: 604_800, settlementFee: .bitcoinjCompatible(feePerKb: try amount(100_000)),
            ackInfo: .echo)
    }

    static func serverKey(_ fixture: [String: Any]) throws -> PrivateKey {
        let key = try PrivateKey(secretBytes: try bytes(fixture, "server_private_key"))
        #expect(key.publicKey.bytes.hex == (try string(fixture, "server_public_key")))
        return key
    }

    static func clientKey(_ fixture: [String: Any]) throws -> PrivateKey {
        let key = try PrivateKey(secretBytes: try bytes(fixture, "client_private_key"))
        #expect(key.publicKey.bytes.hex == (try string(fixture, "client_public_key")))
        return key
    }

    /// One step of a recorded conversation.
    enum Step {
        case open(connection: Int)
        case closed(connection: Int)
        case client(seq: Int, type: String, bytes: [UInt8])
        case server(seq: Int, type: String, bytes: [UInt8])
    }

    static func steps(_ entries: [[String: Any]]) throws -> [Step] {
        try entries.map { entry in
            let connection = (entry["connection"] as? NSNumber)?.intValue ?? 0
            let seq = (entry["seq"] as? NSNumber)?.intValue ?? -1
            switch (entry["event"] as? String, entry["from"] as? String) {
            case ("connection_open", _): return .open(connection: connection)
            case ("connection_closed", _): return .closed(connection: connection)
            case (nil, "client"):
                return .client(seq: seq, type: try string(entry, "type"), bytes: try bytes(entry, "hex"))
            case (nil, "server"):
                return .server(seq: seq, type: try string(entry, "type"), bytes: try bytes(entry, "hex"))
            default: throw Failure("unknown message entry \(entry)")
            }
        }
    }

    /// A readable field-by-field account of two messages that should be equal.
    static func explainMismatch(ours: [UInt8], theirs: [UInt8]) -> String {
        let decodedOurs = (try? ChannelMessage(decoding: ours)).map { "\($0)" } ?? "undecodable"
        let decodedTheirs = (try? ChannelMessage(decoding: theirs)).map { "\($0)" } ?? "undecodable"
        return "\n ours:   \(ours.hex)\n   \(decodedOurs)\n theirs: \(theirs.hex)\n   \(decodedTheirs)"
    }
}

/// Runs a `ServerChannel` the way a server process would: effects in order, an in-memory store,
/// broadcasts that always succeed, one new machine per connection.
struct ServerHarness {
    let config: ServerChannelConfig
    let key: PrivateKey
    let now: UInt64
    var store: [Hash256: ServerChannelRecord] = [:]
    var server: ServerChannel
    /// Every message the current machine sent, encoded.
    var sent: [[UInt8]] = []
    var events: [ServerEvent] = []
    var closeRequested = false
    /// Every transaction broadcast, over all connections.
    var broadcasts: [Transaction] = []
    /// Every event reported, over all connections.
    var allEvents: [ServerEvent] = []

    init(config: ServerChannelConfig, key: PrivateKey, now: UInt64) {
        self.config = config
        self.key = key
        self.now = now
        server = ServerChannel(config: config, newChannelKey: key, newChannelKeyIndex: 0)
    }

    mutating func newConnection() {
        server = ServerChannel(config: config, newChannelKey: key, newChannelKeyIndex: 0)
        sent = []
        events = []
        closeRequested = false
    }

    mutating func receive(_ bytes: [UInt8]) {
        carryOut(server.receive(bytes: bytes, now: now))
    }

    mutating func connectionClosed() {
        carryOut(server.connectionClosed())
    }

    mutating func carryOut(_ effects: [ServerEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message): sent.append(message.encoded())
            case .persist(let update): apply(update)
            case .lookUpStoredChannel(let txid):
                if let record = store[txid] {
                    carryOut(server.storedChannelFound(record, key: key, now: now))
                } else {
                    carryOut(server.storedChannelMissing(now: now))
                }
            case .broadcast(let tx, let purpose):
                broadcasts.append(tx)
                carryOut(server.broadcastCompleted(purpose, succeeded: true, now: now))
            case .armTimer, .cancelTimer: break
            case .report(let event):
                events.append(event)
                allEvents.append(event)
            case .closeConnection: closeRequested = true
            }
        }
    }

    mutating func apply(_ update: ServerStoreUpdate) {
        switch update {
        case .channel(let record): store[record.contractTxid] = record
        case .payment(let txid, let best, let signature):
            store[txid]?.bestValueToServer = best
            store[txid]?.bestSignature = signature
        case .state(let txid, let state, let settlement):
            store[txid]?.state = state
            if let settlement { store[txid]?.settlement = settlement }
        }
    }
}
