import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging
import PaychanTestSupport
import Synchronization
import Testing

/// `paychan server` stopped by SIGTERM while 100 channels pay through it: it exits 0 within its
/// grace period, every payment it acknowledged is in its store, and the clients reopen their
/// channels on its next start.
@Suite("paychan server: SIGTERM during 100 channels' payments", .onDedicatedThreads, .serialized)
struct GracefulShutdownTests {
    static let channels = 100
    static let grace = 10.0

    @Test("exits 0 within the grace period; every acknowledged payment is stored; the clients reopen")
    func sigtermDuringPayments() async throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.path + "/server"
        // A port below the ephemeral range, free again for the restart below (see LoopbackPort).
        let server = try RunningServer(
            directory: directory, listen: "127.0.0.1:\(try LoopbackPort.belowEphemeralRange())",
            extraArguments: ["--shutdown-grace", "\(Self.grace)"])
        let port = server.port
        let clients = try await PayingClients(port: port, channels: Self.channels)
        let sessions = try await clients.openAll()
        let ledger = AcknowledgedLedger(channels: Self.channels)
        let paying = Task { await clients.payUntilRefused(sessions, ledger: ledger) }
        // Stop it while every channel is paying.
        for _ in 0..<1_000 where ledger.payments < 5 * Self.channels {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(ledger.payments >= 5 * Self.channels)
        let signalled = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        while server.process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        let stopping = ContinuousClock.now - signalled
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0, "\(server.log.suffix(2_000))")
        #expect(stopping < .seconds(Self.grace), "stopping took \(stopping)")
        let paid = await paying.value
        #expect(paid == ledger.payments)

        // Every acknowledged payment is stored: the server has at least what each client was told.
        let stored = try Self.storedPayments(directory)
        #expect(stored.count == Self.channels)
        var inFlight = 0
        for (txid, acknowledged) in ledger.acknowledgedByChannel(sessions) {
            let kept = try #require(stored[txid], "channel \(txid) is not stored")
            #expect(kept >= acknowledged, "channel \(txid): stored \(kept) < acknowledged \(acknowledged)")
            if kept > acknowledged { inFlight += 1 }
        }
        print(
            "SIGTERM after \(paid) payments: stopped in \(stopping); \(inFlight) channels had a stored payment unacknowledged"
        )
        // The server stopped reading and answered what it had read before it closed: nothing it
        // stored went unacknowledged.
        #expect(inFlight == 0)

        // The next start: each client reopens its channel and pays on; the store then holds
        // exactly what each client signed.
        let again = try RunningServer(directory: directory, listen: "127.0.0.1:\(port)")
        defer { again.stop() }
        let reopened = try await clients.reopenAll()
        #expect(reopened.filter(\.resumed).count == Self.channels)
        var signed: [String: Int] = [:]
        for session in reopened.map(\.session) {
            _ = try await session.pay(Amount(satoshis: 1_000))
            let record = try #require(session.record)
            signed[record.contractTxid.displayHex] = Int(record.paidToServer.satoshis)
        }
        await clients.shutdown()
        #expect(signed.count == Self.channels)
        #expect(try Self.storedPayments(directory) == signed)
        #expect(again.stop() == 0)
    }

    /// What the server's store holds, by contract txid: paid to the server, in satoshis.
    static func storedPayments(_ directory: String) throws -> [String: Int] {
        let list = try #require(
            try PaychanProcess.run(["channels", "--dir", directory, "--json"]).json()["server"] as? [[String: Any]])
        var stored: [String: Int] = [:]
        for channel in list {
            if let txid = channel["contract_txid"] as? String, let paid = channel["paid_to_server"] as? Int {
                stored[txid] = paid
            }
        }
        return stored
    }
}

/// What the server acknowledged on each channel (cumulative, the opening payment included).
final class AcknowledgedLedger: Sendable {
    private let state: Mutex<(acknowledged: [Int64], payments: Int)>

    init(channels: Int) { state = Mutex((Array(repeating: 0, count: channels), 0)) }

    var payments: Int { state.withLock { $0.payments } }

    func record(_ index: Int, total: Int64) {
        state.withLock {
            $0.acknowledged[index] = max($0.acknowledged[index], total)
            $0.payments += 1
        }
    }

    /// By contract txid (display hex).
    func acknowledgedByChannel(_ sessions: [(session: ClientSession, opened: OpenedChannel)]) -> [String: Int] {
        state.withLock { state in
            var byChannel: [String: Int] = [:]
            for (index, (_, opened)) in sessions.enumerated() {
                byChannel[opened.contractTxid.displayHex] = Int(state.acknowledged[index])
            }
            return byChannel
        }
    }
}

/// Clients in this process (one ClientManager, its store in memory, a wallet funded with one
/// coin per channel from its own regtest chain), each channel under a server name of its own so
/// that each reopens its own.
final class PayingClients: Sendable {
    let manager: ClientManager
    let port: Int
    let channels: Int

    init(port: Int, channels: Int) async throws {
        self.port = port
        self.channels = channels
        var quiet = Logger(label: "paychan.test.paying")
        quiet.logLevel = .critical
        let clock = SystemClock()
        let chain = MemoryChain(clock: clock, acceptsUnknownInputs: true)
        let store = InMemoryChannelStore(clock: clock)
        let keychain = try ChannelKeychain(seed: (0..<32).map { _ in UInt8.random(in: 0...255) })
        let wallet = try await SeedWallet(keychain: keychain, store: store, chain: chain)
        let script = try await wallet.receiveScript()
        let coin = TransactionOutput(value: try Amount(satoshis: 2_000_000), scriptPubKey: script)
        try await wallet.receive(try chain.fund(outputs: Array(repeating: coin, count: channels)))
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600 - 60
        manager = ClientManager(
            config: ClientManagerConfig(channel: channel), store: store, chain: chain, funder: wallet,
            keychain: keychain, clock: clock, logger: quiet)
        try await manager.start()
    }

    private func session(_ index: Int) async throws -> ClientSession {
        var configuration = ChannelTCPClient.Configuration(replyTimeout: .seconds(20))
        configuration.logger.logLevel = .critical
        return try await ChannelTCPClient.connect(
            host: "127.0.0.1", port: port, clientManager: manager, serverID: "graceful-\(index)",
            configuration: configuration)
    }

    /// Opens (or, on a server that has them, reopens) every channel, one after another.
    func openAll() async throws -> [(session: ClientSession, opened: OpenedChannel)] {
        var opened: [(session: ClientSession, opened: OpenedChannel)] = []
        for index in 0..<channels {
            let session = try await session(index)
            opened.append((session, try await session.open(value: try Amount(satoshis: 1_000_000))))
        }
        return opened
    }

    func reopenAll() async throws -> [(session: ClientSession, resumed: Bool)] {
        try await openAll().map { ($0.session, $0.opened.resumed) }
    }

    /// Pays 1000 sat at a time on every channel, one payment in flight on each and a pause of
    /// 50 ms after each (so that this test process, which other suites share, is not flooded),
    /// until the server stops answering; returns how many payments were acknowledged.
    func payUntilRefused(_ sessions: [(session: ClientSession, opened: OpenedChannel)], ledger: AcknowledgedLedger)
        async -> Int
    {
        await withTaskGroup(of: Int.self) { group in
            for (index, (session, opened)) in sessions.enumerated() {
                ledger.record(index, total: opened.value.satoshis - opened.valueLeft.satoshis)
                group.addTask {
                    var paid = 0
                    while let receipt = try? await session.pay(Amount(satoshis: 1_000)) {
                        ledger.record(index, total: opened.value.satoshis - receipt.valueLeft.satoshis)
                        paid += 1
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    return paid
                }
            }
            return await group.reduce(0, +) + sessions.count
        }
    }

    func shutdown() async { await manager.shutdown() }
}
