import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

/// Replays the client side of each bitcoinj recording against our `ServerChannel` and requires
/// the server's messages to equal bitcoinj's byte for byte, in order.
@Suite struct ServerReplayTests {
    @Test(arguments: Fixtures.channelFiles)
    func serverRepliesAreByteIdentical(file: String) throws {
        let fixture = try Fixtures.load(file)
        let now = try ReplaySetup.uint64(fixture, "now")
        var harness = ServerHarness(
            config: try ReplaySetup.serverConfig(), key: try ReplaySetup.serverKey(fixture), now: now)
        let steps = try ReplaySetup.steps(fixture["messages"] as? [[String: Any]] ?? [])
        var compared = 0
        var cursor = 0  // index into harness.sent for the current connection
        for step in steps {
            switch step {
            case .open:
                harness.newConnection()
                cursor = 0
            case .closed:
                #expect(cursor == harness.sent.count, "\(file): unexpected extra server messages at close")
                harness.connectionClosed()
            case .client(let seq, let type, let bytes):
                #expect(!harness.closeRequested, "\(file)#\(seq) \(type): the server had already closed")
                harness.receive(bytes)
            case .server(let seq, let type, let bytes):
                guard cursor < harness.sent.count else {
                    Issue.record("\(file)#\(seq) \(type): our server sent nothing here")
                    continue
                }
                let ours = harness.sent[cursor]
                cursor += 1
                #expect(
                    ours.hex == bytes.hex,
                    "\(file)#\(seq) \(type) differs:\(ReplaySetup.explainMismatch(ours: ours, theirs: bytes))")
                compared += 1
            }
        }
        let expectedReplies = ["v1-open-pay-close.json": 8, "v2-open-pay-close.json": 7, "v2-reopen.json": 8]
        #expect(compared == expectedReplies[file])
        #expect(harness.events.contains { if case .settled = $0 { return true } else { return false } })
        // The settlement fee is bitcoinj's (README: v1 30700, v2 39000, reopen 38900).
        let summary = fixture["summary"] as? [String: Any] ?? [:]
        let fees = harness.events.compactMap { event -> Int64? in
            if case .settled(_, _, let fee) = event { return fee.satoshis } else { return nil }
        }
        // The application saw what bitcoinj's server callbacks saw: each payment increase (by,
        // to, info) and each channel opening, resumed or not.
        let recordedEvents = fixture["events"] as? [[String: Any]] ?? []
        let recordedIncreases = recordedEvents.filter { $0["event"] as? String == "server.paymentIncrease" }.map {
            "\(($0["by"] as? NSNumber)?.int64Value ?? -1)/\(($0["to"] as? NSNumber)?.int64Value ?? -1)/"
                + "\(($0["info"] as? String) ?? "-")"
        }
        let ourIncreases = harness.allEvents.compactMap { event -> String? in
            guard case .paymentReceived(_, let amount, let total, let info) = event else { return nil }
            return "\(amount.satoshis)/\(total.satoshis)/\(info?.hex ?? "-")"
        }
        #expect(ourIncreases == recordedIncreases)
        let recordedOpens = recordedEvents.filter { $0["event"] as? String == "server.channelOpen" }.count
        let ourOpens = harness.allEvents.filter {
            if case .channelOpened = $0 { return true } else { return false }
        }
        #expect(ourOpens.count == recordedOpens)
        // The server broadcast bitcoinj's contract and settlement, and its store ends settled.
        let expectedBroadcasts = summary["server_broadcasts"] as? [String] ?? []
        #expect(harness.broadcasts.map(\.txid) == expectedBroadcasts.compactMap { Hash256(displayHex: $0) })
        #expect(expectedBroadcasts.count == 2)
        let transactions = fixture["transactions"] as? [String: Any] ?? [:]
        let settlementHex = try ReplaySetup.string(transactions["settlement"] as? [String: Any] ?? [:], "hex")
        #expect(harness.broadcasts.last?.serialized.hex == settlementHex)
        #expect(harness.store.count == 1)
        #expect(harness.store.values.first?.state == .settled)
        if let fee = (summary["settlement_fee"] as? NSNumber)?.int64Value {
            #expect(fees == [fee])
        }
    }

    /// errors.json: hand-built client messages; bitcoinj's ERROR replies where it sends one, and
    /// our own documented answers where bitcoinj throws and sends nothing.
    @Test func errorExchanges() throws {
        let fixture = try Fixtures.load(Fixtures.errorsFile)
        let now = try ReplaySetup.uint64(fixture, "now")
        let config = try ReplaySetup.serverConfig()
        let key = try ReplaySetup.serverKey(fixture)
        let exchanges = fixture["exchanges"] as? [[String: Any]] ?? []
        #expect(exchanges.count == 7)
        for exchange in exchanges {
            let id = try ReplaySetup.string(exchange, "id")
            let steps = try ReplaySetup.steps(exchange["messages"] as? [[String: Any]] ?? [])
            var harness = ServerHarness(config: config, key: key, now: now)
            var recorded: [[UInt8]] = []
            for step in steps {
                switch step {
                case .client(_, _, let bytes): harness.receive(bytes)
                case .server(_, _, let bytes): recorded.append(bytes)
                case .open, .closed: break
                }
            }
            let ours = try harness.sent.map { try ChannelMessage(decoding: $0) }
            let theirs = try recorded.map { try ChannelMessage(decoding: $0) }
            #expect(harness.closeRequested, "\(id): our server should end the connection")
            let prefix = id.prefix(2)
            switch prefix {
            case "E1", "E4", "E5", "E6":
                // bitcoinj replies; everything before the ERROR must be byte-identical.
                #expect(harness.sent.count == recorded.count, "\(id)")
                for (mine, bitcoinj) in zip(harness.sent.dropLast(), recorded.dropLast()) {
                    #expect(
                        mine.hex == bitcoinj.hex, "\(id):\(ReplaySetup.explainMismatch(ours: mine, theirs: bitcoinj))")
                }
                guard case .error(let ourError)? = ours.last, case .error(let theirError)? = theirs.last else {
                    Issue.record("\(id): expected an ERROR from both, ours \(ours), theirs \(theirs)")
                    continue
                }
                #expect(ourError.code == theirError.code, "\(id)")
                if prefix != "E6" {
                    // E1, E4 and E5's explanations are deterministic (README).
                    #expect(ourError.explanation == theirError.explanation, "\(id)")
                    #expect(harness.sent.last == recorded.last, "\(id): ERROR bytes")
                }
            case "E2", "E3":
                // bitcoinj throws IllegalStateException and sends nothing; we answer SYNTAX_ERROR.
                #expect(harness.sent.count == recorded.count + 1, "\(id)")
                for (mine, bitcoinj) in zip(harness.sent, recorded) {
                    #expect(
                        mine.hex == bitcoinj.hex, "\(id):\(ReplaySetup.explainMismatch(ours: mine, theirs: bitcoinj))")
                }
                guard case .error(let ourError)? = ours.last else {
                    Issue.record("\(id): expected our ERROR, got \(ours)")
                    continue
                }
                #expect(ourError.code == .syntaxError, "\(id)")
            case "E7":
                // bitcoinj only destroys the connection; we answer a bare CLOSE before closing.
                #expect(harness.sent.count == recorded.count + 1, "\(id)")
                for (mine, bitcoinj) in zip(harness.sent, recorded) {
                    #expect(
                        mine.hex == bitcoinj.hex, "\(id):\(ReplaySetup.explainMismatch(ours: mine, theirs: bitcoinj))")
                }
                #expect(ours.last == .close(nil), "\(id): got \(ours)")
            default:
                Issue.record("unknown exchange \(id)")
            }
        }
    }
}
