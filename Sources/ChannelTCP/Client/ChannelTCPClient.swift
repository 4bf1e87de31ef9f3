import ChannelManager
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Connects a `ClientManager` to a channel server over TCP, with bitcoinj's framing
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
/// `CLOSE` may never arrive: `ClientSession.close()` then returns nil when the connection
/// ends, and the settlement is to be looked for on the chain.
public enum ChannelTCPClient {
    /// Connects to `host:port` and returns a session on the new connection, ready for
    /// `ClientSession.open(value:)`. `serverID` names the server in the client's store
    /// (stored channels are reopened by it); it defaults to `"host:port"`. For a server reachable
    /// at several addresses, tried in turn, see
    /// ``open(value:servers:serverID:clientManager:configuration:)``.
    ///
    /// With ``Configuration/tls`` it returns only once the TLS handshake completed and the
    /// server's certificate verified, and the session's server name in the store is
    /// `serverID #tls:IDENTITY` (``ClientTLSConfiguration/identity``): a channel opened over
    /// TLS is reopened only over TLS with the same verified identity, and one opened over plain
    /// TCP is not offered over TLS (nor to a different TLS identity). A plain connection refuses
    /// a `serverID` that names a TLS identity.
    ///
    /// - Throws: ``ChannelTCPError/connectFailed(host:port:reason:)`` when the server cannot be
    ///   reached, ``ChannelTCPError/tlsFailed(host:port:reason:)`` when the TLS handshake fails
    ///   or does not finish within ``Configuration/handshakeTimeout``,
    ///   ``ChannelTCPError/tlsConfiguration(_:)`` for an unusable TLS setting.
    public static func connect(
        host: String, port: Int, clientManager: ClientManager, serverID: String? = nil,
        configuration: Configuration = Configuration()
    ) async throws(ChannelTCPError) -> ClientSession {
        try configuration.validate()
        let serverID = try storeName(serverID ?? "\(host):\(port)", tls: configuration.tls)
        let created = Mutex<ClientSession?>(nil)
        let tlsHandshake = Mutex<(watch: EventLoopFuture<Void>, pin: PinCheck?)?>(nil)
        // Checked before connecting, so that a bad server name fails without a connection.
        let tlsHostname = try configuration.tls.map { tls throws(ChannelTCPError) in
            try tls.hostname(connectingTo: host)
        }
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
                    if let tls = configuration.tls, let hostname = tlsHostname {
                        let (handler, pin) = try tls.makeHandler(hostname: hostname)
                        let watch = TLSHandshakeWatch(
                            eventLoop: channel.eventLoop, timeout: TimeAmount(configuration.handshakeTimeout),
                            requiredName: pin == nil ? hostname : nil)
                        tlsHandshake.withLock { $0 = (watch.future, pin) }
                        try channel.pipeline.syncOperations.addHandlers(handler, watch)
                    }
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
        if let (handshake, pin) = tlsHandshake.withLock({ $0 }) {
            do { try await handshake.get() } catch {
                // Nothing was sent in plain (NIOSSL holds writes until the handshake is done,
                // and the session was not asked to open yet): end the session, drop the socket.
                session.connectionClosed()
                channel.close(promise: nil)
                let reason = pin?.refusalReason ?? TLSHandshakeWatch.describe(error)
                logger.warning("TLS with \(host):\(port) failed: \(reason)")
                throw .tlsFailed(host: host, port: port, reason: reason)
            }
        }
        return session
    }

    /// The server's name in the client's store: `serverID`, followed by the TLS identity when
    /// connecting over TLS. The marker cannot be given by hand, so a plain connection never
    /// reaches a channel bound to a TLS identity.
    static func storeName(_ serverID: String, tls: ClientTLSConfiguration?) throws(ChannelTCPError) -> String {
        guard !serverID.contains(tlsMarker) else {
            throw .tlsConfiguration(
                "a server ID must not contain '\(tlsMarker)' (it names a TLS identity): \(serverID)")
        }
        guard let tls else { return serverID }
        return serverID + tlsMarker + tls.identity
    }

    /// What separates a server ID from the TLS identity its channels are bound to.
    public static let tlsMarker = " #tls:"
}
