import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging

/// What `paychan demo` runs: a server manager behind a ``ChannelTCPServer`` on a free port of
/// 127.0.0.1 and a client manager with a segwit wallet, each with its own SQLite store and seed
/// file, sharing one in-process chain.
struct DemoStack {
    static let host = "127.0.0.1"

    let clock = SystemClock()
    let chain: MemoryChain
    let serverStore: SQLiteChannelStore
    let clientStore: SQLiteChannelStore
    let server: ServerManager
    let client: ClientManager
    let wallet: SeedWallet
    let listener = ChannelTCPServer()
    let port: Int

    /// Opens the stores and seeds under `directory` (`server/` and `client/`), starts both
    /// managers and the listener, and funds the wallet with `funding`.
    init(directory: String, version: ProtocolVersion, funding: Amount) async throws(CommandFailure) {
        var logger = Logger(label: "paychan.demo")
        logger.logLevel = .warning
        chain = MemoryChain(clock: clock, acceptsUnknownInputs: true)

        let serverDirectory = DataDirectory(path: directory + "/server")
        try serverDirectory.create()
        serverStore = try serverDirectory.openStore(clock: clock)
        let serverKeychain = try serverDirectory.keychain()
        let terms = ServerChannelConfig(
            payoutScript: try ServerPayout.script(serverKeychain),
            minChannelValue: Amount(exactly: DemoRun.serverMinimumChannel) ?? .zero,
            minPayment: Amount(exactly: DemoRun.initialPayment) ?? .zero)
        do {
            server = try ServerManager(
                config: ServerManagerConfig(channel: terms), store: serverStore, chain: chain,
                keychain: serverKeychain, clock: clock, logger: logger)
        } catch { throw CommandFailure("server manager: \(error)") }

        let clientDirectory = DataDirectory(path: directory + "/client")
        try clientDirectory.create()
        clientStore = try clientDirectory.openStore(clock: clock)
        let clientKeychain = try clientDirectory.keychain()
        do {
            wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
            try await chain.fund(wallet, amount: funding)
        } catch { throw CommandFailure("wallet: \(error)") }
        let channel = ClientChannelConfig(channelValue: .zero, versionSelector: version == .v1 ? .v1 : .v2)
        client = ClientManager(
            config: ClientManagerConfig(channel: channel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: clock, logger: logger)

        do {
            try await server.start()
            try await client.start()
        } catch { throw CommandFailure("starting the managers: \(error)") }
        var tcp = ChannelTCPServer.Configuration()
        tcp.logger = logger
        do { try await listener.start(host: Self.host, port: 0, serverManager: server, configuration: tcp) } catch {
            throw CommandFailure("\(error)")
        }
        port = listener.port ?? 0
    }

    /// Stops the listener and the managers and closes the stores.
    func shutdown() async {
        await listener.stop()
        await client.shutdown()
        await server.shutdown()
        clientStore.close()
        serverStore.close()
    }
}
