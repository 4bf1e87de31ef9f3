import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import Testing

/// A server manager and a client manager sharing a MemoryChain and a manual clock, with stores
/// in memory or in SQLite files, connected by in-memory pipes.
final class ManagerTestbed: Sendable {
    static let start: UInt64 = 1_750_000_000

    let clock = ManualClock(now: ManagerTestbed.start)
    let chain: MemoryChain
    let serverStore: any ChannelStore
    let clientStore: any ChannelStore
    let server: ServerManager
    let client: ClientManager
    let wallet: SeedWallet
    let serverKeychain: ChannelKeychain
    let payout: Script

    enum Stores {
        case memory
        case sqlite(directory: String)
        /// SQLite files, the client's committing as `clientCommitter` says.
        case sqliteCommitting(directory: String, clientCommitter: SQLiteChannelStore.Committer)
    }

    init(
        versions: Set<ProtocolVersion> = [.v1, .v2], selector: VersionSelector = .v2, stores: Stores = .memory,
        serverConfig: ((inout ServerManagerConfig) -> Void)? = nil,
        clientConfig: ((inout ClientManagerConfig) -> Void)? = nil, walletFunds: Int64 = 10_000_000
    ) async throws {
        chain = MemoryChain(clock: clock)
        switch stores {
        case .memory:
            serverStore = InMemoryChannelStore(clock: clock)
            clientStore = InMemoryChannelStore(clock: clock)
        case .sqlite(let directory):
            serverStore = try SQLiteChannelStore(path: directory + "/server.sqlite", clock: clock)
            clientStore = try SQLiteChannelStore(path: directory + "/client.sqlite", clock: clock)
        case .sqliteCommitting(let directory, let committer):
            serverStore = try SQLiteChannelStore(path: directory + "/server.sqlite", clock: clock)
            clientStore = try SQLiteChannelStore(path: directory + "/client.sqlite", clock: clock, committer: committer)
        }
        serverKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0x51, count: 32))
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC1, count: 32))
        payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        var config = ServerManagerConfig(
            channel: ServerChannelConfig(payoutScript: payout, supportedVersions: versions))
        serverConfig?(&config)
        server = try ServerManager(
            config: config, store: serverStore, chain: chain, keychain: serverKeychain, clock: clock)
        wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var clientChannel = ClientChannelConfig(channelValue: .zero, versionSelector: selector)
        clientChannel.timeWindow = 24 * 3600
        var clientManagerConfig = ClientManagerConfig(channel: clientChannel)
        clientConfig?(&clientManagerConfig)
        client = ClientManager(
            config: clientManagerConfig, store: clientStore, chain: chain, funder: wallet, keychain: clientKeychain,
            clock: clock)
        let script = try await wallet.receiveScript()
        let funding = chain.fund(script: script, amount: try Amount(satoshis: walletFunds))
        try await wallet.receive(funding)
        try await server.start()
        try await client.start()
    }

    /// A new connection: the client's session and the server's, joined by a pipe (the client's
    /// end seen through `clientConnection`, when given).
    func connect(
        serverID: String = "server", clientConnection: ((InMemoryPipe.End) -> any ChannelConnection)? = nil
    ) async throws -> (ClientSession, ServerSession, InMemoryPipe) {
        let pipe = InMemoryPipe()
        let serverSession = try await server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let clientSession = try client.connect(
            serverID: serverID, connection: clientConnection?(pipe.clientEnd) ?? pipe.clientEnd)
        pipe.clientEnd.attach(clientSession.receive, closed: clientSession.connectionClosed)
        return (clientSession, serverSession, pipe)
    }

    static func sats(_ value: Int64) -> Amount { (try? Amount(satoshis: value)) ?? .zero }
}

/// Polls `condition` (async work is in flight on other tasks) for up to about five seconds.
func eventually(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    for _ in 0..<500 {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}

/// Whether an event matching `predicate` arrives within about five seconds.
func firstEvent<Event: Sendable>(in events: AsyncStream<Event>, matching predicate: @escaping @Sendable (Event) -> Bool)
    async -> Bool
{
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await event in events where predicate(event) { return true }
            return false
        }
        group.addTask {
            try? await Task.sleep(nanoseconds: 5_000_000_000)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
