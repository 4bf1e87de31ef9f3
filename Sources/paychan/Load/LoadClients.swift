import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import NIOPosix

/// The client side of a load run: one ``ClientManager`` on a SQLite store (durable before every
/// send), a ``SeedWallet`` holding one coin per channel to open, and ``ChannelTCPClient``
/// connections on one event loop group, each to its own server name so that none reopens
/// another's channel.
final class LoadClients: Sendable {
    let store: SQLiteChannelStore
    let manager: ClientManager
    let group: MultiThreadedEventLoopGroup
    let host: String
    let port: Int

    /// Opens the store in `directory` and funds the wallet with `coins` coins of `coinValue`
    /// from an in-process regtest chain (the server's `--chain memory` accepts their contracts).
    init(directory: String, host: String, port: Int, coins: Int, coinValue: Amount, threads: Int) async throws {
        let clock = SystemClock()
        let chain = MemoryChain(clock: clock, acceptsUnknownInputs: true)
        let store = try SQLiteChannelStore(path: directory + "/client.sqlite", clock: clock)
        let keychain = try ChannelKeychain(seed: Hashing.sha256(Array("paychan load client \(directory)".utf8)))
        let wallet = try await SeedWallet(keychain: keychain, store: store, chain: chain)
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600 - 60
        let manager = ClientManager(
            config: ClientManagerConfig(channel: channel), store: store, chain: chain, funder: wallet,
            keychain: keychain, clock: clock, logger: BenchLogging.quiet("paychan.load.client"))
        let script = try await wallet.receiveScript()
        let funding = try chain.fund(
            outputs: Array(repeating: TransactionOutput(value: coinValue, scriptPubKey: script), count: coins))
        try await wallet.receive(funding)
        try await manager.start()
        self.store = store
        self.manager = manager
        self.host = host
        self.port = port
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Connects connection number `index` and opens a channel worth `value` on it.
    func open(_ index: Int, value: Amount) async throws -> ClientSession {
        let configuration = ChannelTCPClient.Configuration(
            eventLoopGroup: group, logger: BenchLogging.quiet("paychan.load.tcp"))
        let session = try await ChannelTCPClient.connect(
            host: host, port: port, clientManager: manager, serverID: "load-\(index)", configuration: configuration)
        do {
            _ = try await session.open(value: value)
        } catch {
            session.connectionClosed()
            throw error
        }
        return session
    }

    /// Ends every connection (channels stay stored), then closes the store and the event loops.
    func shutdown() async {
        await manager.shutdown()
        store.close()
        try? await group.shutdownGracefully()
    }
}
