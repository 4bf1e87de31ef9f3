import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Logging
import Testing

/// A server manager behind a ``ChannelTCPServer`` on 127.0.0.1 (a free port) and a client
/// manager that reaches it with ``ChannelTCPClient``, sharing a MemoryChain and a manual clock,
/// with stores in memory.
final class TCPTestbed: Sendable {
    static let start: UInt64 = 1_750_000_000
    static let host = "127.0.0.1"
    static let serverID = "tcp-testbed"

    let clock = ManualClock(now: TCPTestbed.start)
    let chain: MemoryChain
    let serverStore: InMemoryChannelStore
    let clientStore: InMemoryChannelStore
    let server: ServerManager
    let client: ClientManager
    let wallet: SeedWallet
    let payout: Script
    let listener = ChannelTCPServer()

    /// - Parameters:
    ///   - coins: how many coins of `coinValue` the client's wallet starts with (one per
    ///     channel opened at the same time: change is not spent before the chain knows it).
    init(
        versions: Set<ProtocolVersion> = [.v1, .v2], selector: VersionSelector = .v2,
        tcp: ChannelTCPServer.Configuration = ChannelTCPServer.Configuration(), coins: Int = 1,
        coinValue: Int64 = 10_000_000
    ) async throws {
        var quiet = Logger(label: "paychan.test")
        quiet.logLevel = .warning
        chain = MemoryChain(clock: clock)
        serverStore = InMemoryChannelStore(clock: clock)
        clientStore = InMemoryChannelStore(clock: clock)
        let serverKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0x52, count: 32))
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC2, count: 32))
        payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        server = try ServerManager(
            config: ServerManagerConfig(
                channel: ServerChannelConfig(payoutScript: payout, supportedVersions: versions)),
            store: serverStore, chain: chain, keychain: serverKeychain, clock: clock, logger: quiet)
        wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var clientChannel = ClientChannelConfig(channelValue: .zero, versionSelector: selector)
        clientChannel.timeWindow = 24 * 3600
        client = ClientManager(
            config: ClientManagerConfig(channel: clientChannel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: clock, logger: quiet)
        let script = try await wallet.receiveScript()
        let value = try Amount(satoshis: coinValue)
        let funding = try chain.fund(
            outputs: Array(repeating: TransactionOutput(value: value, scriptPubKey: script), count: coins))
        try await wallet.receive(funding)
        try await server.start()
        try await client.start()
        var tcp = tcp
        tcp.logger.logLevel = .warning
        try await listener.start(host: Self.host, port: 0, serverManager: server, configuration: tcp)
    }

    /// The port the listener is bound to.
    var port: Int { listener.port ?? 0 }

    /// A client session on a new TCP connection to the listener.
    func connect() async throws -> ClientSession {
        try await ChannelTCPClient.connect(
            host: Self.host, port: port, clientManager: client, serverID: Self.serverID)
    }

    /// Stops the listener and both managers.
    func shutdown() async {
        await listener.stop()
        await client.shutdown()
        await server.shutdown()
    }

    static func sats(_ value: Int64) -> Amount { (try? Amount(satoshis: value)) ?? .zero }
}

/// Polls `condition` for up to about five seconds.
func eventually(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    for _ in 0..<500 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}
