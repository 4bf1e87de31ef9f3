import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import PaychanBitcoinCore
import Testing

/// One side of a ``LiveChannelBed``: its store, keys and manual clock, and the node as the
/// program wires it (a ``ChainFollower`` with the seed wallet as listener, its index answering
/// the backend's confirmed history, broadcasts watched through ``WatchingChain``).
struct LiveSide {
    let store: SQLiteChannelStore
    let keychain: ChannelKeychain
    let clock: ManualClock
    let node: BitcoinCoreChain
    let follower: ChainFollower
    let wallet: SeedWallet
    let backend: WatchingChain

    init(_ live: LiveNode, path: String, seed: UInt8, now: UInt64) async throws {
        clock = ManualClock(now: now)
        store = try SQLiteChannelStore(path: path, clock: clock)
        keychain = try ChannelKeychain(seed: [UInt8](repeating: seed, count: 32))
        node = try live.chain()
        follower = try await ChainFollower(
            source: BitcoinCoreBlockSource(rpc: node.rpc), store: store, broadcaster: node,
            birthday: try await live.height())
        node.attach(history: follower)
        wallet = try await SeedWallet(keychain: keychain, store: store, chain: node)
        follower.add(wallet)
        backend = WatchingChain(backend: node, follower: follower)
        try await follower.poll()
    }

    /// Brings the follower to the node's tip.
    @discardableResult
    func sync() async throws -> ChainFollower.Progress { try await follower.poll() }

    func close() async {
        await node.rpc.shutdown()
        store.close()
    }
}

/// A server manager and a client manager, in this process, on a real regtest node, each with a
/// manual clock of its own (so that one side's deadlines pass without the other's), joined by
/// an in-memory pipe. The client's wallet is funded from the node's wallet.
final class LiveChannelBed: Sendable {
    let node: LiveNode
    let server: LiveSide
    let client: LiveSide
    let serverManager: ServerManager
    let clientManager: ClientManager
    let payout: Script
    /// The stores' directory, removed by ``shutdown()``.
    private let directory: String

    private init(
        node: LiveNode, server: LiveSide, client: LiveSide, serverManager: ServerManager,
        clientManager: ClientManager, payout: Script, directory: String
    ) {
        self.node = node
        self.server = server
        self.client = client
        self.serverManager = serverManager
        self.clientManager = clientManager
        self.payout = payout
        self.directory = directory
    }

    /// Runs `body` on a bed on a new node (the client's wallet holding `funding` sat, mined),
    /// stopped afterwards whatever happens.
    static func with(
        funding: Int64 = 10_000_000, serverConfig: ((inout ServerManagerConfig) -> Void)? = nil,
        _ body: (LiveChannelBed) async throws -> Void
    ) async throws {
        try await LiveNode.with { node in
            let bed = try await make(node, funding: funding, serverConfig: serverConfig)
            do { try await body(bed) } catch {
                await bed.shutdown()
                throw error
            }
            await bed.shutdown()
        }
    }

    private static func make(_ node: LiveNode, funding: Int64, serverConfig: ((inout ServerManagerConfig) -> Void)?)
        async throws -> LiveChannelBed
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "paychan-live-\(UUID().uuidString)"
        )
        .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = UInt64(Date().timeIntervalSince1970)
        let server = try await LiveSide(node, path: directory + "/server.sqlite", seed: 0x51, now: now)
        let client = try await LiveSide(node, path: directory + "/client.sqlite", seed: 0xC1, now: now)
        let payout = Script.p2wpkh(publicKey: try server.keychain.key(.walletReceive, index: 0).publicKey)
        var config = ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout))
        serverConfig?(&config)
        let serverManager = try ServerManager(
            config: config, store: server.store, chain: server.backend, keychain: server.keychain, clock: server.clock)
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600
        let clientManager = ClientManager(
            config: ClientManagerConfig(channel: channel), store: client.store, chain: client.backend,
            funder: client.wallet, keychain: client.keychain, clock: client.clock)
        try await serverManager.start()
        try await clientManager.start()
        let bed = LiveChannelBed(
            node: node, server: server, client: client, serverManager: serverManager, clientManager: clientManager,
            payout: payout, directory: directory)
        let address = try await client.wallet.receiveAddress(network: .regtest)
        try await node.send(funding, to: address.string)
        try await bed.mine(1)
        return bed
    }

    /// Mines `blocks` blocks and brings both followers to the tip; the block hashes.
    @discardableResult
    func mine(_ blocks: Int, to address: String? = nil) async throws -> [String] {
        let hashes = try await node.mine(blocks, to: address)
        try await server.sync()
        try await client.sync()
        return hashes
    }

    /// A new connection between the managers.
    func connect() async throws -> (ClientSession, ServerSession, InMemoryPipe) {
        let pipe = InMemoryPipe()
        let serverSession = try await serverManager.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let clientSession = try clientManager.connect(serverID: "live", connection: pipe.clientEnd)
        pipe.clientEnd.attach(clientSession.receive, closed: clientSession.connectionClosed)
        return (clientSession, serverSession, pipe)
    }

    /// Opens a channel of `value` sat, pays `payments` × `amount` sat, and mines its contract.
    func openChannel(value: Int64 = 1_000_000, payments: Int = 10, amount: Int64 = 1_000) async throws -> (
        session: ClientSession, serverSession: ServerSession, pipe: InMemoryPipe, record: ClientChannelRecord
    ) {
        let (session, serverSession, pipe) = try await connect()
        let opened = try await session.open(value: try Amount(satoshis: value))
        for _ in 0..<payments { try await session.pay(try Amount(satoshis: amount)) }
        try await eventually("the contract in the mempool") {
            try await node.mempool().contains(opened.contractTxid.displayHex)
        }
        try await mine(1)
        let record = try #require(try await client.store.clientChannel(contractTxid: opened.contractTxid))
        return (session, serverSession, pipe, record)
    }

    func shutdown() async {
        await clientManager.shutdown()
        await serverManager.shutdown()
        await client.close()
        await server.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The first event of `events` that `match` picks (nil when none comes within `seconds`).
func firstEvent<Event: Sendable, Value: Sendable>(
    _ events: AsyncStream<Event>, seconds: Double = 20, _ match: @escaping @Sendable (Event) -> Value?
) async -> Value? {
    await withTaskGroup(of: Value?.self) { group in
        group.addTask {
            for await event in events { if let value = match(event) { return value } }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}
