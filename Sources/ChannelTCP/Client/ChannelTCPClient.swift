import ChannelManager
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Connects a ``ClientManager`` to a channel server over TCP, with bitcoinj's framing
/// (4-byte big-endian length, bodies of at most 32767 bytes, a longer or "negative" frame from
/// the server closes the connection) and `TCP_NODELAY`.
///
/// ```swift
/// let session = try await ChannelTCPClient.connect(host: "127.0.0.1", port: 4242, clientManager: manager)
/// _ = try await session.open(value: Amount(exactly: 1_000_000)!)
/// try await session.pay(Amount(exactly: 1000)!)
/// _ = try await session.close()
/// ```
///
/// bitcoinj servers close the socket right after queueing their last message, so their final
/// `CLOSE` may never arrive: ``ClientSession/close()`` then returns nil when the connection
/// ends, and the settlement is to be looked for on the chain.
public enum ChannelTCPClient {
    /// Connects to `host:port` and returns a session on the new connection, ready for
    /// ``ClientSession/open(value:)``. `serverID` names the server in the client's store
    /// (stored channels are reopened by it); it defaults to `"host:port"`. For a server reachable
    /// at several addresses, tried in turn, see
    /// ``open(value:servers:serverID:clientManager:configuration:)``.
    public static func connect(
        host: String, port: Int, clientManager: ClientManager, serverID: String? = nil,
        configuration: Configuration = Configuration()
    ) async throws(ChannelTCPError) -> ClientSession {
        try configuration.validate()
        let serverID = serverID ?? "\(host):\(port)"
        let created = Mutex<ClientSession?>(nil)
        let bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(
                    low: configuration.maxBufferedOutboundBytes / 2, high: configuration.maxBufferedOutboundBytes)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let replyWatch = ReplyWatch()
                    let connection = FramedConnection(
                        channel: channel, closeFlushTimeout: TimeAmount(configuration.closeFlushTimeout),
                        logger: configuration.logger, onSend: { replyWatch.sent() })
                    let session = try clientManager.connect(serverID: serverID, connection: connection)
                    created.withLock { $0 = session }
                    try channel.pipeline.syncOperations.addHandlers(
                        BackPressureHandler(),
                        ByteToMessageHandler(FrameDecoder()),
                        ClientConnectionHandler(
                            session: session, connection: connection, replyWatch: replyWatch,
                            replyTimeout: configuration.replyTimeout, logger: configuration.logger))
                    // The session may end on its own (an ERROR, the server's CLOSE): the
                    // socket goes with it, after what was queued is written.
                    Task {
                        await session.waitUntilEnded()
                        connection.close()
                    }
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            // A session created for a connection that never came up ends at once.
            created.withLock { $0 }?.connectionClosed()
            if let error = error as? ClientSessionError { throw .session(error) }
            throw .connectFailed(host: host, port: port, reason: "\(error)")
        }
        guard let session = created.withLock({ $0 }) else {
            throw .connectFailed(host: host, port: port, reason: "no session was set up")
        }
        // As bitcoinj's client: a server that has not opened a channel within the handshake
        // timeout is given up on (a pending `open` fails as the connection closes).
        let logger = configuration.logger
        channel.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            guard !session.hasOpened, !session.isEnded else { return }
            logger.warning("no channel opened with \(serverID) within the handshake timeout; closing")
            channel.close(promise: nil)
        }
        return session
    }
}
