import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Synchronization
import Testing

/// Two or more server managers (nodes) sharing one in-memory store, and one client, on a
/// MemoryChain. The store, chain and client run on the world's clock; each node runs on a clock
/// of its own, moved with the world's unless the node is paused (a paused node sends no
/// heartbeat and fires no timer, as a process stopped by the kernel or a long GC pause).
final class ClusterTestbed: Sendable {
    static let start: UInt64 = 1_750_000_000
    static let lease: UInt64 = 6

    struct Node: Sendable {
        let id: String
        let clock: ManualClock
        let manager: ServerManager
    }

    let world = ManualClock(now: ClusterTestbed.start)
    let chain: MemoryChain
    let serverStore: InMemoryChannelStore
    let clientStore: InMemoryChannelStore
    let nodes: [Node]
    let client: ClientManager
    private let paused = Mutex<Set<String>>([])
    private let eventLog = NodeEventLog()

    init(nodeCount: Int = 2, serverConfig: ((inout ServerManagerConfig) -> Void)? = nil) async throws {
        chain = MemoryChain(clock: world)
        serverStore = InMemoryChannelStore(clock: world)
        clientStore = InMemoryChannelStore(clock: world)
        let serverKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0x51, count: 32))
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC1, count: 32))
        let payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        var nodes: [Node] = []
        for index in 0..<nodeCount {
            let id = "node-\(index)"
            var config = ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout))
            serverConfig?(&config)
            let log = eventLog
            config.eventHandler = { event in log.append(id, event) }
            let clock = ManualClock(now: Self.start)
            let manager = try ServerManager(
                config: config, store: serverStore, chain: chain, keychain: serverKeychain,
                claims: serverStore.claims(nodeID: id, leaseSeconds: Self.lease), clock: clock)
            nodes.append(Node(id: id, clock: clock, manager: manager))
        }
        self.nodes = nodes
        let wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var clientChannel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        clientChannel.timeWindow = 24 * 3600
        client = ClientManager(
            config: ClientManagerConfig(channel: clientChannel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: world)
        let funding = chain.fund(script: try await wallet.receiveScript(), amount: try Amount(satoshis: 10_000_000))
        try await wallet.receive(funding)
        for node in nodes { try await node.manager.start() }
        try await client.start()
    }

    /// A connection from the client to `node`; the client's end seen through `clientConnection`
    /// when given.
    /// `received` keeps what the server node sends. With `closeIsLost`, the client's closing of
    /// the connection never reaches the node (a network partition).
    func connect(
        to node: Int, closeIsLost: Bool = false, clientConnection: ((InMemoryPipe.End) -> any ChannelConnection)? = nil,
        received: MessageLog = MessageLog()
    ) async throws -> (ClientSession, ServerSession, InMemoryPipe) {
        let pipe = InMemoryPipe()
        if closeIsLost, clientConnection == nil {
            return try await connect(
                to: node, clientConnection: { SendRecordingConnection($0, forwardsClose: false) }, received: received)
        }
        let serverSession = try await nodes[node].manager.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let clientSession = try client.connect(
            serverID: "cluster", connection: clientConnection?(pipe.clientEnd) ?? pipe.clientEnd)
        pipe.clientEnd.attach(
            { bytes in
                received.append(bytes)
                clientSession.receive(bytes)
            }, closed: clientSession.connectionClosed)
        return (clientSession, serverSession, pipe)
    }

    /// The settlements each node handed to the chain, by node id.
    var settlementBroadcasts: [String] {
        eventLog.entries.compactMap { entry in
            if case .broadcast(_, .settlement, _) = entry.event { return entry.node }
            return nil
        }
    }

    /// Moves the world and every running node to `time` at once.
    func jump(to time: UInt64) {
        world.advance(to: time)
        let stopped = paused.withLock { $0 }
        for node in nodes where !stopped.contains(node.id) { node.clock.advance(to: time) }
    }

    /// Stops moving `node`'s clock.
    func pause(_ node: Int) { paused.withLock { _ = $0.insert(nodes[node].id) } }

    /// Moves `node`'s clock to the world's time again, firing what is due.
    func resume(_ node: Int) {
        paused.withLock { _ = $0.remove(nodes[node].id) }
        nodes[node].clock.advance(to: world.now())
    }

    /// Moves the world and every running node forward, one second at a time, letting each
    /// second's work (heartbeats, polls, timers) run.
    func advance(by seconds: UInt64) async throws {
        for _ in 0..<seconds {
            let now = world.now() + 1
            world.advance(to: now)
            let stopped = paused.withLock { $0 }
            for node in nodes where !stopped.contains(node.id) { node.clock.advance(to: now) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    static func sats(_ value: Int64) -> Amount { (try? Amount(satoshis: value)) ?? .zero }
}

/// Messages seen on one direction of a connection, decoded.
final class MessageLog: Sendable {
    private let messages = Mutex<[ChannelMessage]>([])

    func append(_ bytes: [UInt8]) {
        if let message = try? ChannelMessage(decoding: bytes) { messages.withLock { $0.append(message) } }
    }

    var all: [ChannelMessage] { messages.withLock { $0 } }

    var paymentAcks: Int { all.filter { if case .paymentAck = $0 { true } else { false } }.count }

    var errors: [ErrorMessage] { all.compactMap { if case .error(let error) = $0 { error } else { nil } } }

    var lastPayment: UpdatePayment? {
        all.compactMap { if case .updatePayment(let payment) = $0 { payment } else { nil } }.last
    }
}

/// A client connection that keeps a copy of every message the client sends.
final class SendRecordingConnection: ChannelConnection {
    let inner: any ChannelConnection
    let sent = MessageLog()
    /// False: closing is lost on the way (the peer never learns of it).
    let forwardsClose: Bool

    init(_ inner: any ChannelConnection, forwardsClose: Bool = true) {
        self.inner = inner
        self.forwardsClose = forwardsClose
    }

    func send(_ message: [UInt8]) {
        sent.append(message)
        inner.send(message)
    }

    func close() { if forwardsClose { inner.close() } }
}

/// Every event of every node, with the node's id.
final class NodeEventLog: Sendable {
    private let log = Mutex<[(node: String, event: ServerManagerEvent)]>([])

    func append(_ node: String, _ event: ServerManagerEvent) { log.withLock { $0.append((node, event)) } }

    var entries: [(node: String, event: ServerManagerEvent)] { log.withLock { $0 } }
}
