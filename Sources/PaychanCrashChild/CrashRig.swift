import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine

/// A server manager and a client manager in one process, each with its own SQLite file and seed
/// file in one directory, joined by in-memory pipes whose deliveries pass through the tap of
/// ``CrashPoints``. The chain is a fresh ``MemoryChain`` in every process (it is not
/// persisted), accepting spends of outputs it never saw: contracts and wallet outputs of an
/// earlier process are unknown to it.
final class CrashRig: Sendable {
    /// Every process runs at this time: the channels never come near expiry and no timer fires.
    static let now: UInt64 = 1_750_000_000
    static let serverID = "crash-server"

    let points: CrashPoints
    let clock = ManualClock(now: CrashRig.now)
    let chain: MemoryChain
    let serverSQLite: SQLiteChannelStore
    let clientSQLite: SQLiteChannelStore
    let serverStore: CountingStore
    let clientStore: CountingStore
    let serverKeychain: ChannelKeychain
    private let clientKeychain: ChannelKeychain
    let serverConfig: ServerManagerConfig
    let clientConfig: ClientManagerConfig
    let payout: Script

    /// Opens (or creates) the seeds and stores in `directory`; starts nothing.
    init(directory: String, version: ProtocolVersion, points: CrashPoints, storeMode: CountingStore.Mode) throws {
        self.points = points
        chain = MemoryChain(clock: clock, configuration: MemoryChain.Configuration(acceptsUnknownInputs: true))
        serverKeychain = try ChannelKeychain(seed: try SeedFile.loadOrCreate(at: directory + "/server.seed"))
        let clientSeed = try SeedFile.loadOrCreate(at: directory + "/client.seed")
        clientKeychain = try ChannelKeychain(seed: clientSeed)
        serverSQLite = try SQLiteChannelStore(path: directory + "/server.sqlite", clock: clock)
        clientSQLite = try SQLiteChannelStore(path: directory + "/client.sqlite", clock: clock)
        serverStore = CountingStore(serverSQLite, name: "server", points: points, mode: storeMode)
        clientStore = CountingStore(clientSQLite, name: "client", points: points, mode: storeMode)
        payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        serverConfig = ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout))
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: version == .v1 ? .v1 : .v2)
        channel.timeWindow = 24 * 3600
        clientConfig = ClientManagerConfig(channel: channel)
    }

    /// The running managers and wallet.
    struct Managers: Sendable {
        let server: ServerManager
        let client: ClientManager
        let wallet: SeedWallet
    }

    /// Creates and starts both managers and the client's wallet.
    func start() async throws -> Managers {
        let server = try ServerManager(
            config: serverConfig, store: serverStore, chain: chain, keychain: serverKeychain, clock: clock)
        let wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        let client = ClientManager(
            config: clientConfig, store: clientStore, chain: chain, funder: wallet, keychain: clientKeychain,
            clock: clock)
        try await server.start()
        try await client.start()
        return Managers(server: server, client: client, wallet: wallet)
    }

    /// Gives the wallet `amount` more from this process's chain, unless it can already spend that.
    func fund(_ wallet: SeedWallet, atLeast amount: Amount) async throws {
        guard try await wallet.balance().available < amount else { return }
        try await chain.fund(wallet, amount: amount)
    }

    /// A new connection between the managers, through the tap.
    func connect(_ managers: Managers) async throws -> ClientSession {
        let pipe = InMemoryPipe()
        let serverSession = try await managers.server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(tapped(serverSession.receive), closed: serverSession.connectionClosed)
        let clientSession = try managers.client.connect(serverID: Self.serverID, connection: pipe.clientEnd)
        pipe.clientEnd.attach(tapped(clientSession.receive), closed: clientSession.connectionClosed)
        return clientSession
    }

    /// The tap: numbers each message on its way to `receive`, and stops before or after
    /// delivering the one asked for. Deliveries are synchronous: the receiver's machine runs
    /// and enqueues its writes inside `receive`. Before delivering the message it stops after,
    /// the tap freezes both stores, so those writes are certainly not committed.
    private func tapped(_ receive: @escaping @Sendable ([UInt8]) -> Void) -> @Sendable ([UInt8]) -> Void {
        let points = self.points
        let stores = [serverStore, clientStore]
        return { bytes in
            let k = points.nextMessage()
            let type = (try? ChannelMessage(decoding: bytes))?.type.protoName ?? "UNDECODABLE"
            Output.line("MSG \(k) \(type)")
            if points.point == .beforeMessage(k) { points.pause("\(k) \(type)") }
            let stopAfter = points.point == .afterMessage(k)
            if stopAfter { for store in stores { store.freeze() } }
            receive(bytes)
            if stopAfter { points.pause("\(k) \(type)") }
        }
    }

    /// Closes both stores (committing what is queued).
    func close() {
        serverSQLite.close()
        clientSQLite.close()
    }
}
