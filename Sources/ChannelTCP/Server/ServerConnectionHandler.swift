import ChannelManager
import Logging
import NIOCore

/// The last handler of a server connection's pipeline: hands each frame body to the session,
/// tells it when the connection ends, and enforces the handshake and idle timeouts.
///
/// One timer per connection: until a channel is open it checks the handshake deadline, and
/// from then on the last message plus the idle timeout, rescheduling itself when messages came
/// in meanwhile (so a busy connection costs no timer work per message).
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let session: ServerSession
    private let connection: FramedConnection
    private let handshakeTimeout: TimeAmount
    private let idleTimeout: TimeAmount?
    private let logger: Logger
    private var connectedAt = NIODeadline.now()
    private var lastMessageAt = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(
        session: ServerSession, connection: FramedConnection, handshakeTimeout: TimeAmount, idleTimeout: TimeAmount?,
        logger: Logger
    ) {
        self.session = session
        self.connection = connection
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connectedAt = .now()
        lastMessageAt = connectedAt
        // The first check comes at whichever timeout ends first: a channel opened quickly
        // is held to the idle timeout from then on.
        arm(context: context, at: connectedAt + min(handshakeTimeout, idleTimeout ?? handshakeTimeout))
        // The session may end on its own (an ERROR it sent, a settlement, another connection
        // resuming its channel): the socket goes with it, after what was queued is written.
        let (session, connection) = (self.session, self.connection)
        Task {
            await session.waitUntilEnded()
            connection.close()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let body = unwrapInboundIn(data)
        lastMessageAt = .now()
        session.receive(Array(body.readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        connection.markClosed()
        session.connectionClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is stopping: read nothing more, let what was read be answered (the
            // acknowledgments of payments whose writes are committing), then close without
            // settling; the channel can be resumed.
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
            closeOnceAnswered(context: context, giveUpAt: .now() + Self.quiesceAnswerLimit)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            logger.notice("session \(session.id): \(frameError); closing")
        } else {
            logger.debug("session \(session.id): \(error); closing")
        }
        context.close(promise: nil)
    }

    /// How long a stopping server waits for a connection's answers before it closes it anyway.
    static let quiesceAnswerLimit = TimeAmount.seconds(1)

    /// Closes the connection (after what is queued is written) once the session has released
    /// every effect of what it read, or at `giveUpAt`.
    private func closeOnceAnswered(context: ChannelHandlerContext, giveUpAt: NIODeadline) {
        guard context.channel.isActive else { return }
        guard session.hasEffectsWaiting, NIODeadline.now() < giveUpAt else {
            connection.close()
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) { [weak self] in
            self?.closeOnceAnswered(context: context, giveUpAt: giveUpAt)
        }
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        guard session.contractTxid != nil else {
            let handshakeDeadline = connectedAt + handshakeTimeout
            if handshakeDeadline <= now {
                logger.info("session \(session.id): no channel open after \(handshakeTimeout); closing")
                context.close(promise: nil)
            } else {
                // Look again at the deadline, or sooner if the idle timeout is shorter: the
                // channel may open meanwhile.
                arm(context: context, at: min(handshakeDeadline, now + (idleTimeout ?? handshakeTimeout)))
            }
            return
        }
        guard let idleTimeout else { return }
        let idleUntil = lastMessageAt + idleTimeout
        if idleUntil <= now {
            logger.info("session \(session.id): idle for \(idleTimeout); closing")
            context.close(promise: nil)
        } else {
            arm(context: context, at: idleUntil)
        }
    }
}
