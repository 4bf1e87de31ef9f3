import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging
import Synchronization
import Testing

/// An honest client in the test process: a ClientManager with a store in memory and a
/// MemoryChain that funds its wallet, reaching the server under test with ChannelTCPClient.
final class HonestClient: Sendable {
    let manager: ClientManager
    let store: InMemoryChannelStore
    let port: Int

    init(port: Int, coins: Int = 4) async throws {
        self.port = port
        var quiet = Logger(label: "paychan.test.honest")
        quiet.logLevel = .error
        let clock = SystemClock()
        let chain = MemoryChain(clock: clock, acceptsUnknownInputs: true)
        store = InMemoryChannelStore(clock: clock)
        let keychain = try ChannelKeychain(seed: (0..<32).map { _ in UInt8.random(in: 0...255) })
        let wallet = try await SeedWallet(keychain: keychain, store: store, chain: chain)
        for _ in 0..<coins { try await chain.fund(wallet, amount: Amount(satoshis: 20_000_000)) }
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600 - 60
        manager = ClientManager(
            config: ClientManagerConfig(channel: channel), store: store, chain: chain, funder: wallet,
            keychain: keychain, clock: clock, logger: quiet)
        try await manager.start()
    }

    /// A session on a new connection, with a channel opened (or reopened) on it.
    func openSession(value: Int64 = 10_000_000) async throws -> (ClientSession, OpenedChannel) {
        var configuration = ChannelTCPClient.Configuration(replyTimeout: .seconds(20))
        configuration.logger.logLevel = .error
        let session = try await ChannelTCPClient.connect(
            host: "127.0.0.1", port: port, clientManager: manager, serverID: "server-under-test",
            configuration: configuration)
        let opened = try await session.open(value: try Amount(satoshis: value))
        return (session, opened)
    }

    /// How many channels this client has stored (each one it opened with the server).
    func storedChannelCount() async throws -> Int {
        try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases)).count
    }

    func shutdown() async { await manager.shutdown() }
}

/// Honest payments made while something else happens, and their rate.
struct HonestLoad {
    let payments: Int
    let failures: [String]
    let seconds: Double

    var rate: Double { seconds > 0 ? Double(payments) / seconds : 0 }

    /// Pays 100 sat at a time on `sessions` channels of `client`, one payment in flight per
    /// channel, until `body` returns (and for at least `minimum` payments per channel); returns
    /// what `body` returned and the load's figures.
    static func during<T: Sendable>(
        _ client: HonestClient, sessions count: Int = 2, minimum: Int = 20, _ body: @Sendable () async throws -> T
    ) async throws -> (T, HonestLoad) {
        var opened: [ClientSession] = []
        for _ in 0..<count { opened.append(try await client.openSession().0) }
        let sessions = opened
        let stop = StopFlag()
        let start = ContinuousClock.now
        let load = Task { await payUntilStopped(sessions, stop: stop, minimum: minimum) }
        let value: T
        do { value = try await body() } catch {
            stop.set()
            _ = await load.value
            throw error
        }
        stop.set()
        let results = await load.value
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (
            value,
            HonestLoad(
                payments: results.map(\.0).reduce(0, +), failures: results.compactMap(\.1), seconds: seconds)
        )
    }

    private static func payUntilStopped(_ sessions: [ClientSession], stop: StopFlag, minimum: Int) async -> [(
        Int, String?
    )] {
        await withTaskGroup(of: (Int, String?).self) { group in
            for session in sessions {
                group.addTask {
                    var made = 0
                    while made < minimum || !stop.isSet {
                        do {
                            try await session.pay(Amount(satoshis: 100))
                            made += 1
                        } catch {
                            return (made, "\(error)")
                        }
                    }
                    return (made, nil)
                }
            }
            var results: [(Int, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    /// The quiet rate: honest payments for `duration` with nothing else going on.
    static func quiet(_ client: HonestClient, for duration: Duration = .milliseconds(500)) async throws -> HonestLoad {
        try await during(client) { try await Task.sleep(for: duration) }.1
    }
}

/// Checks that the honest load all succeeded and kept a generous share of the quiet rate, and
/// prints both rates (the figures the report quotes). The quiet rate was measured before the
/// hostile peers came; when the load fell short of it, the quiet rate is measured again at once,
/// and the load is held to that one: a machine stalled by other work (a full parallel run on
/// two cores) slows honest payments with or without hostile peers, and only a collapse that
/// the peers caused fails the check.
func expectServed(_ load: HonestLoad, quiet: HonestLoad, client: HonestClient, during what: String) async {
    print(
        "honest payments during \(what): \(load.payments) in \(String(format: "%.2f", load.seconds)) s = "
            + "\(Int(load.rate))/s (quiet: \(Int(quiet.rate))/s)")
    #expect(load.failures.isEmpty, "honest payments failed during \(what): \(load.failures)")
    #expect(load.payments > 0)
    // A generous bound: the machine is shared, so only a collapse fails it.
    guard load.rate < quiet.rate / 20 else { return }
    let now: HonestLoad
    do { now = try await HonestLoad.quiet(client) } catch {
        Issue.record("the quiet load after \(what) failed: \(error)")
        return
    }
    print("honest payments right after \(what), quiet again: \(Int(now.rate))/s")
    #expect(now.failures.isEmpty, "honest payments failed after \(what): \(now.failures)")
    #expect(
        load.rate >= now.rate / 20,
        "honest rate during \(what) collapsed: \(load.rate) vs \(quiet.rate) before and \(now.rate) right after")
}

/// A flag one task sets and others read.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
