import ChannelManager
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// A TCP listener for a `ServerManager`: accepts connections, frames messages the way
/// bitcoinj does (4-byte big-endian length, bodies of at most 32767 bytes), and runs one
/// `ServerSession` per connection.
///
/// ```swift
/// let server = ChannelTCPServer()
/// try await server.start(host: "0.0.0.0", port: 4242, serverManager: manager)
/// print("listening on", server.port ?? 0)
/// // ...
/// await server.stop()
/// ```
///
/// Each connection gets `TCP_NODELAY`, a handshake timeout (no open channel in time: closed),
/// an idle timeout once its channel is open, and back-pressure (a peer that does not read what
/// it is sent is not read from). Connections beyond the configured maximum are closed when
/// accepted. With ``Configuration/tls`` every connection speaks TLS first (the handshake
/// counts against the handshake timeout). See ``Configuration``.
public final class ChannelTCPServer: Sendable {
    private struct Running {
        let serverChannel: any Channel
        let quiesce: ServerQuiescingHelper
        /// The group the server created, which it shuts down on stop.
        let ownedGroup: MultiThreadedEventLoopGroup?
    }

    private enum Phase {
        case idle
        case starting
        case running(Running)
        case stopped
    }

    private let phase = Mutex(Phase.idle)
    private let connections = Atomic<Int>(0)
    private let boundPort = Atomic<Int>(0)
    private let metrics = ServerConnectionMetrics()

    /// A server that is not listening yet: call ``start(host:port:serverManager:configuration:)``.
    public init() {}

    /// The port the server listens on (the one picked by the system when started with port 0),
    /// or nil when not listening.
    public var port: Int? {
        let port = boundPort.load(ordering: .acquiring)
        return port == 0 ? nil : port
    }

    /// Connections open now.
    public var connectionCount: Int { connections.load(ordering: .relaxed) }

    /// Starts listening on `host:port` (port 0: any free port, see ``port``) and serving
    /// `serverManager`, which must already be started. Returns once the socket is bound.
    public func start(
        host: String, port: Int, serverManager: ServerManager, configuration: Configuration = Configuration()
    ) async throws(ChannelTCPError) {
        try configuration.validate()
        try phase.withLock { phase throws(ChannelTCPError) in
            guard case .idle = phase else { throw .alreadyStarted }
            phase = .starting
        }
        let ownedGroup =
            configuration.eventLoopGroup == nil
            ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads) : nil
        let group: any EventLoopGroup =
            configuration.eventLoopGroup ?? ownedGroup ?? MultiThreadedEventLoopGroup.singleton
        let running: Running
        do {
            running = try await bind(
                host: host, port: port, group: group, ownedGroup: ownedGroup, manager: serverManager,
                configuration: configuration)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            phase.withLock { $0 = .idle }
            throw .bindFailed(host: host, port: port, reason: "\(error)")
        }
        boundPort.store(running.serverChannel.localAddress?.port ?? port, ordering: .releasing)
        phase.withLock { $0 = .running(running) }
        configuration.logger.info("listening on \(host):\(self.port ?? port)")
    }

    private func bind(
        host: String, port: Int, group: any EventLoopGroup, ownedGroup: MultiThreadedEventLoopGroup?,
        manager: ServerManager, configuration: Configuration
    ) async throws -> Running {
        // The helper completes a promise of its group when it is released, which NIO may do
        // late (after a failed bind, once our group is shut down): give it the shared group,
        // which is never shut down.
        let quiesce = ServerQuiescingHelper(group: MultiThreadedEventLoopGroup.singleton)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(
                    low: configuration.maxBufferedOutboundBytes / 2, high: configuration.maxBufferedOutboundBytes)
            )
            .childChannelInitializer { channel in
                self.setUp(channel, manager: manager, configuration: configuration)
            }
        let serverChannel = try await bootstrap.bind(host: host, port: port).get()
        return Running(serverChannel: serverChannel, quiesce: quiesce, ownedGroup: ownedGroup)
    }

    /// Stops listening and closes every connection (sessions see the connection close; open
    /// channels stay stored and are not settled). Returns once all are closed. A stopped
    /// server is not started again: make a new one.
    public func stop() async {
        guard case .some(let ownedGroup) = await closeAll() else { return }
        try? await ownedGroup?.shutdownGracefully()
    }

    /// Closes the listener and every connection; returns the group to shut down (nil inside
    /// when the caller's group was used), or nil when the server was not running.
    private func closeAll() async -> MultiThreadedEventLoopGroup?? {
        let running = phase.withLock { phase -> Running? in
            guard case .running(let running) = phase else { return nil }
            phase = .stopped
            return running
        }
        guard let running else { return nil }
        let done = running.serverChannel.eventLoop.makePromise(of: Void.self)
        running.quiesce.initiateShutdown(promise: done)
        try? await done.futureResult.get()
        boundPort.store(0, ordering: .releasing)
        return .some(running.ownedGroup)
    }

    /// Sets up one accepted connection: counts it (refusing it beyond the limit), opens a
    /// session for it and installs the pipeline. Reading starts once this completes.
    private func setUp(_ channel: any Channel, manager: ServerManager, configuration: Configuration)
        -> EventLoopFuture<Void>
    {
        let count = connections.wrappingAdd(1, ordering: .relaxed).newValue
        channel.closeFuture.whenComplete { _ in self.connections.wrappingSubtract(1, ordering: .relaxed) }
        guard count <= configuration.maxConnections else {
            metrics.refused.increment()
            configuration.logger.warning(
                "refusing a connection: \(count - 1) open, limit \(configuration.maxConnections)")
            return channel.eventLoop.makeFailedFuture(ConnectionRefused())
        }
        metrics.accepted.increment()
        metrics.open.increment()
        channel.closeFuture.whenComplete { _ in self.metrics.open.decrement() }
        let connection = FramedConnection(
            channel: channel, closeFlushTimeout: TimeAmount(configuration.closeFlushTimeout),
            logger: configuration.logger)
        return channel.eventLoop.makeFutureWithTask {
            try await manager.accept(connection)
        }.flatMapThrowing { session in
            // However the channel ends (even before it is registered, when the pipeline never
            // sees it go inactive), the session hears of it; a second notice is ignored.
            channel.closeFuture.whenComplete { _ in
                connection.markClosed()
                session.connectionClosed()
            }
            if let tls = configuration.tls {
                try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
            }
            try channel.pipeline.syncOperations.addHandlers(
                BackPressureHandler(),
                ByteToMessageHandler(FrameDecoder()),
                ServerConnectionHandler(
                    session: session, connection: connection,
                    handshakeTimeout: TimeAmount(configuration.handshakeTimeout),
                    idleTimeout: configuration.idleTimeout.map(TimeAmount.init),
                    logger: configuration.logger))
        }
    }
}

/// The connection limit was reached.
private struct ConnectionRefused: Error {}
