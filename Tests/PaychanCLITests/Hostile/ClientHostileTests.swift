import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import PaychanTestSupport
import Testing

/// The real `paychan client` process against a scripted hostile server (issue 7): it refuses
/// what it must, exits with the documented status, and keeps its money and its records.
@Suite("paychan client against a hostile server", .onDedicatedThreads)
struct ClientHostileTests {
    static let channelValue: Int64 = 1_000_000
    static let serverKey = (try? PrivateKey(secretBytes: [UInt8](repeating: 0x5E, count: 32)))!
    static var now: UInt64 { UInt64(Date().timeIntervalSince1970) }

    /// An INITIATE the client accepts, with the given changes.
    static func initiate(
        minChannel: UInt64 = 100_000, expiry: UInt64? = nil, minPayment: UInt64 = 1_000
    ) -> ChannelMessage {
        .initiate(
            Initiate(
                multisigKey: serverKey.publicKey, minAcceptedChannelSize: minChannel,
                expireTimeSecs: expiry ?? now + 86_000, minPayment: minPayment))
    }

    /// Reads CLIENT_VERSION and answers SERVER_VERSION `major` and `initiate`.
    static func offer(_ peer: FakeServer.Peer, major: Int32, _ initiate: ChannelMessage) -> Bool {
        guard case .clientVersion? = peer.receive() else { return false }
        peer.send(.serverVersion(ServerVersion(major: major)))
        peer.send(initiate)
        return true
    }

    /// Runs `paychan client` against `server` with `arguments` added; returns its result and
    /// how long it ran.
    static func runClient(_ server: FakeServer, dir: String, _ arguments: [String]) throws -> (
        PaychanProcess.Result, Duration
    ) {
        let start = ContinuousClock.now
        let result = try PaychanProcess.run(
            [
                "client", "--server", "127.0.0.1:\(server.port)", "--dir", dir, "--channel-value",
                "\(channelValue)", "--amount", "1000",
            ] + arguments)
        return (result, ContinuousClock.now - start)
    }

    /// The client's stored channels, from `paychan channels --json`.
    static func storedChannels(_ dir: String) throws -> [[String: Any]] {
        let result = try PaychanProcess.run(["channels", "--dir", dir, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.json()["client"] as? [[String: Any]] ?? []
    }

    /// The client wallet's outputs: (unspent total, how many are spent).
    static func wallet(_ dir: String) async throws -> (unspent: Int64, spent: Int) {
        let store = try SQLiteChannelStore(path: dir + "/channels.sqlite", readOnly: true)
        defer { store.close() }
        let outputs = try await store.walletOutputs(unspentOnly: false)
        let unspent = outputs.filter { $0.spentBy == nil }.map(\.value.satoshis).reduce(0, +)
        return (unspent, outputs.filter { $0.spentBy != nil }.count)
    }

    @Test(
        "v1: a RETURN_REFUND whose signature does not verify is refused; no contract leaves, no money is spent",
        arguments: ["wrong sighash", "garbage bytes", "SIGHASH_ALL"])
    func badRefundSignature(kind: String) async throws {
        let scratch = try ScratchDirectory()
        let server = try FakeServer { peer in
            guard Self.offer(peer, major: 1, Self.initiate()), case .provideRefund(let provide)? = peer.receive() else {
                return
            }
            let signature: [UInt8]
            switch kind {
            case "wrong sighash":
                signature = Self.serverKey.sign(sighash: provide.tx.txid, type: .noneAnyoneCanPay).encoded
            case "garbage bytes":
                signature = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x82, 0xFF]
            default:
                signature = Self.serverKey.sign(sighash: provide.tx.txid, type: .all).encoded
            }
            peer.send(.returnRefund(ReturnRefund(signature: signature)))
            _ = peer.receive()  // the client's answer
            _ = peer.waitForHangUp()
        }
        let (result, _) = try Self.runClient(server, dir: scratch.path, ["--protocol", "1"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("BAD_TRANSACTION"), "\(result.stderr)")
        let transcript = await server.transcript()
        #expect(transcript.types == [.clientVersion, .provideRefund, .error], "\(transcript.types)")
        #expect(transcript.errorCode == .badTransaction)
        #expect(try Self.storedChannels(scratch.path).isEmpty)
        let wallet = try await Self.wallet(scratch.path)
        #expect(wallet.spent == 0, "the contract's inputs are given back")
        #expect(wallet.unspent >= Self.channelValue)
    }

    @Test(
        "state before content: a malformed message out of order gets ERROR SYNTAX_ERROR, in order the code its fields earn",
        arguments: [
            ("RETURN_REFUND with an empty signature", false, ErrorCode.syntaxError),
            ("UPDATE_PAYMENT with an empty signature", false, .syntaxError),
            ("INITIATE with a 32-byte key", true, .badTransaction),
        ])
    func malformedOutOfOrder(name: String, afterServerVersion: Bool, code: ErrorCode) async throws {
        let scratch = try ScratchDirectory()
        let body = try #require(HostileMessages.malformed.first { $0.0 == name }?.1)
        let server = try FakeServer { peer in
            guard case .clientVersion? = peer.receive() else { return }
            if afterServerVersion { peer.send(.serverVersion(ServerVersion(major: 2))) }
            peer.send(body: body)
            _ = peer.receive()  // the client's ERROR
            _ = peer.waitForHangUp()
        }
        let (result, _) = try Self.runClient(server, dir: scratch.path, [])
        #expect(result.status == 3, "\(name): \(result.stderr)")
        #expect(result.stderr.contains("\(code)"), "\(result.stderr)")
        let transcript = await server.transcript()
        #expect(transcript.types == [.clientVersion, .error], "\(name): \(transcript.types)")
        #expect(transcript.errorCode == code, "\(name): \(transcript)")
        #expect(try Self.storedChannels(scratch.path).isEmpty)
    }

    @Test(
        "absurd INITIATE values are refused with the matching ERROR; nothing is funded",
        arguments: [
            ("channel size 2^64-1", 6, 4), ("channel size above ours", 6, 4), ("expiry in the past", 5, 3),
            ("expiry 0", 5, 3), ("expiry 30 years ahead", 5, 3), ("expiry 2^64-1", 5, 3),
            ("min payment above the channel", 7, 3), ("min payment 2^64-1", 7, 3),
        ])
    func absurdInitiate(name: String, code: Int, exitStatus: Int32) async throws {
        let scratch = try ScratchDirectory()
        let now = Self.now
        let message: ChannelMessage
        switch name {
        case "channel size 2^64-1": message = Self.initiate(minChannel: .max)
        case "channel size above ours": message = Self.initiate(minChannel: UInt64(Self.channelValue) + 1)
        case "expiry in the past": message = Self.initiate(expiry: now - 3_600)
        case "expiry 0": message = Self.initiate(expiry: 0)
        case "expiry 30 years ahead": message = Self.initiate(expiry: now + 30 * 365 * 86_400)
        case "expiry 2^64-1": message = Self.initiate(expiry: .max)
        case "min payment above the channel": message = Self.initiate(minPayment: UInt64(Self.channelValue) * 2)
        default: message = Self.initiate(minPayment: .max)
        }
        let server = try FakeServer { peer in
            guard Self.offer(peer, major: 2, message) else { return }
            _ = peer.receive()
            _ = peer.waitForHangUp()
        }
        let (result, _) = try Self.runClient(server, dir: scratch.path, [])
        #expect(result.status == exitStatus, "\(name): \(result.stderr)")
        let transcript = await server.transcript()
        #expect(transcript.types == [.clientVersion, .error], "\(name): \(transcript.types)")
        #expect(transcript.errorCode?.rawValue == Int32(code), "\(name): \(transcript)")
        #expect(try Self.storedChannels(scratch.path).isEmpty)
        #expect(try await Self.wallet(scratch.path).spent == 0)
    }

    @Test(
        "a settlement that underpays the client is refused: exit 3, the channel stays stored as it was",
        arguments: ["1000 sat short", "pays the client nothing", "spends another outpoint"])
    func underpayingSettlement(kind: String) async throws {
        let scratch = try ScratchDirectory()
        let server = try FakeServer { peer in
            guard Self.offer(peer, major: 2, Self.initiate()), case .provideContract(let provide)? = peer.receive(),
                let clientKey = provide.clientKey
            else { return }
            peer.send(.channelOpen)
            var change = provide.initialPayment.clientChangeValue
            while let message = peer.receive() {
                switch message {
                case .updatePayment(let payment):
                    change = payment.clientChangeValue
                    peer.send(.paymentAck(nil))
                case .close:
                    let client = Script.p2pkh(publicKey: clientKey)
                    var settlement = Transaction(
                        inputs: [TransactionInput(previousOutput: OutPoint(txid: provide.tx.txid, index: 0))],
                        outputs: [
                            TransactionOutput(
                                value: (try? Amount(satoshis: Int64(change) - 1_000)) ?? .zero, scriptPubKey: client)
                        ])
                    if kind == "pays the client nothing" { settlement.outputs = [] }
                    if kind == "spends another outpoint" {
                        settlement.inputs[0].previousOutput = OutPoint(txid: HostileMessages.someTxid, index: 0)
                        settlement.outputs[0].value = (try? Amount(satoshis: Int64(change))) ?? .zero
                    }
                    peer.send(.close(Settlement(tx: WireTransaction(settlement))))
                default:
                    break
                }
            }
        }
        let (result, _) = try Self.runClient(server, dir: scratch.path, ["--payments", "3", "--close"])
        #expect(result.status == 3, "\(kind): \(result.stderr)")
        #expect(result.stderr.contains("BAD_TRANSACTION"), "\(result.stderr)")
        let transcript = await server.transcript()
        #expect(
            transcript.types == [.clientVersion, .provideContract] + Array(repeating: .updatePayment, count: 3) + [
                .close, .error,
            ], "\(transcript.types)")
        #expect(transcript.errorCode == .badTransaction)
        let stored = try Self.storedChannels(scratch.path)
        #expect(stored.count == 1)
        #expect(stored.first?["state"] as? String == "open", "not settled: the refund stays ours")
        #expect(stored.first?["value_left"] as? Int == Int(Self.channelValue) - 1_000 - 3 * 1_000)
        #expect(!(stored.first?["settlement_txid"] is String))
    }

    @Test(
        "a server that goes silent is given up on after --reply-timeout: exit 2, records kept",
        arguments: ["before SERVER_VERSION", "before CHANNEL_OPEN", "after CHANNEL_OPEN"])
    func silentServer(when: String) async throws {
        let scratch = try ScratchDirectory()
        let server = try FakeServer { peer in
            if when == "before SERVER_VERSION" {
                _ = peer.receive()
            } else if Self.offer(peer, major: 2, Self.initiate()), case .provideContract? = peer.receive(),
                when == "after CHANNEL_OPEN"
            {
                peer.send(.channelOpen)
                _ = peer.receive()  // the first payment, never acknowledged
            }
            _ = peer.receive()  // the client's ERROR TIMEOUT
            _ = peer.waitForHangUp()
        }
        let (result, elapsed) = try Self.runClient(
            server, dir: scratch.path, ["--payments", "3", "--reply-timeout", "1"])
        #expect(result.status == 2, "\(when): \(result.stderr)")
        #expect(result.stderr.contains("no reply from the server within"), "\(result.stderr)")
        #expect(elapsed < .seconds(15), "gave up after \(elapsed)")
        let transcript = await server.transcript()
        #expect(transcript.last?.type == .error)
        #expect(transcript.errorCode == .timeout)
        let stored = try Self.storedChannels(scratch.path)
        switch when {
        case "before SERVER_VERSION":
            #expect(stored.isEmpty)
        case "before CHANNEL_OPEN":
            // The contract was handed over: the channel stays stored with its refund.
            #expect(stored.count == 1)
            #expect(stored.first?["state"] as? String == "opening")
            #expect(stored.first?["value_left"] as? Int == Int(Self.channelValue) - 1_000)
        default:
            #expect(stored.count == 1)
            #expect(stored.first?["state"] as? String == "open")
            // The unacknowledged payment was signed, so it counts as paid.
            #expect(stored.first?["value_left"] as? Int == Int(Self.channelValue) - 2_000)
        }
    }
}
