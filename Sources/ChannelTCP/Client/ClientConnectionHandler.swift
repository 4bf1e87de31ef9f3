import ChannelManager
import Logging
import NIOCore

/// The last handler of a client connection's pipeline: hands each frame body from the server
/// to the session and tells it when the connection ends.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let session: ClientSession
    private let connection: FramedConnection
    private let logger: Logger

    init(session: ClientSession, connection: FramedConnection, logger: Logger) {
        self.session = session
        self.connection = connection
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session.receive(Array(unwrapInboundIn(data).readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
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
