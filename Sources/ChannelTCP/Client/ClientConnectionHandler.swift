import ChannelManager
import Logging
import NIOCore

/// The last handler of a client connection's pipeline: hands each frame body from the server
/// to the session, tells it when the connection ends, and times out a server that leaves a
/// message unanswered (checked a few times per reply timeout, so it fires within 1.25 times it).
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let session: ClientSession
    private let connection: FramedConnection
    private let replyWatch: ReplyWatch
    private let replyTimeout: Duration?
    private let logger: Logger
    private var timer: Scheduled<Void>?

    init(
        session: ClientSession, connection: FramedConnection, replyWatch: ReplyWatch, replyTimeout: Duration?,
        logger: Logger
    ) {
        self.session = session
        self.connection = connection
        self.replyWatch = replyWatch
        self.replyTimeout = replyTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armReplyCheck(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session.receive(Array(unwrapInboundIn(data).readableBytesView))
        replyWatch.received(by: session)
    }

    private func armReplyCheck(context: ChannelHandlerContext) {
        guard let replyTimeout else { return }
        let tick = max(TimeAmount.nanoseconds(TimeAmount(replyTimeout).nanoseconds / 4), .milliseconds(1))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: tick) { [weak self] in
            self?.checkReply(context: context, replyTimeout: replyTimeout)
        }
    }

    private func checkReply(context: ChannelHandlerContext, replyTimeout: Duration) {
        timer = nil
        guard context.channel.isActive, !session.isEnded else { return }
        if let since = replyWatch.waitingSince, since + TimeAmount(replyTimeout) <= .now(), session.isAwaitingReply {
            logger.warning("session \(session.id): no reply from the server within \(replyTimeout); giving up")
            session.replyTimedOut(after: replyTimeout)
            return
        }
        armReplyCheck(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        connection.markClosed()
        session.connectionClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            logger.notice("session \(session.id): server sent \(frameError); closing")
        } else {
            logger.debug("session \(session.id): \(error); closing")
        }
        context.close(promise: nil)
    }
}
