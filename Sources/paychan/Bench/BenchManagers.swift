import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Synchronization

/// A server manager and a client manager, each on its own store (SQLite files in a scratch
/// directory; the server's may be PostgreSQL: ``BenchServerStoreKind``), sharing a ``MemoryChain`` and a manual clock (no timer fires during a run),
/// connected by ``InMemoryPipe``s. The client's wallet holds one coin per channel to open, so
/// that funding never waits for change.
final class BenchManagers: Sendable {
    static let start: UInt64 = 1_750_000_000

    let clock: ManualClock
    let chain: MemoryChain
    let serverStore: any ChannelStore
    /// How the server's store batched its writes so far.
    let serverStatistics: @Sendable () -> BenchStoreStatistics
    private let closeServerStore: @Sendable () async -> Void
    let clientStore: SQLiteChannelStore
    let server: ServerManager
    let client: ClientManager
    let wallet: SeedWallet
    /// How long the server manager's `start()` took (it reads every stored channel).
    let serverStartSeconds: Double
    /// Every pipe connected, disconnected at shutdown (see ``BenchPipes/disconnect(_:)``).
    private let pipes = Mutex<[InMemoryPipe]>([])

    /// Opens the stores in `directory`, runs `prepareServerStore` on the server's (before the
    /// server manager starts), funds the wallet with `coins` coins of `coinValue`, and starts
    /// both managers.
    init(
        directory: String, coins: Int, coinValue: Amount,
        prepareServerStore: (any ChannelStore) async throws -> Void = { _ in },
        serverStore serverKind: BenchServerStoreKind = .sqlite(.dedicatedThread),
        clientCommitter: SQLiteChannelStore.Committer = .dedicatedThread
    ) async throws {
        let clock = ManualClock(now: Self.start)
        let chain = MemoryChain(clock: clock)
        let opened = try await BenchServerStore.open(serverKind, directory: directory, clock: clock)
        let serverStore = opened.store
        let clientStore = try SQLiteChannelStore(
            path: directory + "/client.sqlite", clock: clock, committer: clientCommitter)
        try await prepareServerStore(serverStore)
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC1, count: 32))
        let server = try Self.serverManager(store: serverStore, claims: opened.claims, chain: chain, clock: clock)
        let wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600
        let client = ClientManager(
            config: ClientManagerConfig(channel: channel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: clock, logger: BenchLogging.quiet("paychan.bench.client"))
        let script = try await wallet.receiveScript()
        let funding = try chain.fund(
            outputs: Array(repeating: TransactionOutput(value: coinValue, scriptPubKey: script), count: coins))
        try await wallet.receive(funding)
        serverStartSeconds = try await BenchTiming.secondsAsync { try await server.start() }
        try await client.start()
        self.clock = clock
        self.chain = chain
        self.serverStore = serverStore
        serverStatistics = opened.statistics
        closeServerStore = opened.close
        self.clientStore = clientStore
        self.server = server
        self.client = client
        self.wallet = wallet
    }

    /// A server manager of the bench's server seed on `store`, claiming channels with `claims`:
    /// the one of ``server``, or another node on the same (shared) store.
    static func serverManager(
        store: any ChannelStore, claims: any ChannelClaims, chain: MemoryChain, clock: ManualClock
    ) throws -> ServerManager {
        let keychain = try ChannelKeychain(seed: [UInt8](repeating: 0x51, count: 32))
        let payout = Script.p2wpkh(publicKey: try keychain.key(.walletReceive, index: 0).publicKey)
        return try ServerManager(
            config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)), store: store,
            chain: chain, keychain: keychain, claims: claims, clock: clock,
            logger: BenchLogging.quiet("paychan.bench.server"))
    }

    /// Opens `count` channels worth `value` at once, each on its own connection (and server
    /// name, so that none reopens another's channel).
    func openChannels(_ count: Int, value: Amount) async throws -> [ClientSession] {
        try await withThrowingTaskGroup(of: ClientSession.self) { group in
            for index in 0..<count {
                group.addTask {
                    let session = try await self.connect(serverID: "bench-server-\(index)")
                    _ = try await session.open(value: value)
                    return session
                }
            }
            var sessions: [ClientSession] = []
            for try await session in group { sessions.append(session) }
            return sessions
        }
    }

    /// A new connection: the client's session and the server's, joined by a pipe.
    func connect(serverID: String) async throws -> ClientSession {
        let pipe = InMemoryPipe()
        pipes.withLock { $0.append(pipe) }
        let serverSession = try await server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let clientSession = try client.connect(serverID: serverID, connection: pipe.clientEnd)
        pipe.clientEnd.attach(clientSession.receive, closed: clientSession.connectionClosed)
        return clientSession
    }

    /// Checks that the server's store holds `expected` as the best payment of `session`'s channel.
    func checkDurable(_ session: ClientSession, paidToServer expected: Amount) async throws {
        guard let txid = session.record?.contractTxid,
            let record = try await serverStore.serverChannel(contractTxid: txid)
        else { throw BenchFailure("a bench channel is missing from the server's store") }
        guard record.bestValueToServer == expected else {
            throw BenchFailure("server stored \(record.bestValueToServer) for a channel paid \(expected)")
        }
    }

    /// Shuts both managers down, cuts the pipes and closes the stores.
    func shutdown() async {
        await client.shutdown()
        await server.shutdown()
        for pipe in pipes.withLock({ $0 }) { BenchPipes.disconnect(pipe) }
        clientStore.close()
        await closeServerStore()
    }
}
