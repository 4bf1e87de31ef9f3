import ChannelManager
import ChannelTCP
import NIOPosix
import PaychanPostgres

/// Another server node of a bench on the PostgreSQL schema the first node's store uses: its own
/// store connections, its own ``PostgresChannelClaims`` (node id `nodeID`), its own
/// ``ServerManager`` of the same seed and its own ``ChannelTCPServer`` on a free port of
/// 127.0.0.1, on an event loop group of its own — as a second `paychan server --store …
/// --node-id` process would be, in the bench's process.
final class BenchServerNode: Sendable {
    let manager: ServerManager
    let listener = ChannelTCPServer()
    let port: Int
    private let opened: BenchServerStore
    private let group: MultiThreadedEventLoopGroup

    var statistics: BenchStoreStatistics { opened.statistics() }

    init(
        configuration: PostgresStoreConfiguration, nodeID: String, managers: BenchManagers, threads: Int
    ) async throws {
        let opened = try await BenchServerStore.open(
            .postgresNode(configuration, nodeID: nodeID), directory: "", clock: managers.clock)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var started: ServerManager? = nil
        do {
            let manager = try BenchManagers.serverManager(
                store: opened.store, claims: opened.claims, chain: managers.chain, clock: managers.clock)
            started = manager
            try await manager.start()
            var listening = ChannelTCPServer.Configuration(eventLoopGroup: group)
            listening.logger = BenchLogging.quiet("paychan.bench.tcp.\(nodeID)")
            try await listener.start(host: TCPBench.host, port: 0, serverManager: manager, configuration: listening)
        } catch {
            await started?.shutdown()
            await opened.close()
            try? await group.shutdownGracefully()
            throw BenchFailure("server node \(nodeID): \(error)")
        }
        self.opened = opened
        self.group = group
        guard let started else { throw BenchFailure("server node \(nodeID): no manager") }
        manager = started
        port = listener.port ?? 0
    }

    /// Stops the listener, the manager, the store and claims, and the event loop group.
    func shutdown() async {
        await listener.stop()
        await manager.shutdown()
        await opened.close()
        try? await group.shutdownGracefully()
    }
}
