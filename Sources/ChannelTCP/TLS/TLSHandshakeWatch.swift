import NIOCore
import NIOSSL
import NIOTLS

/// Placed right after a client's TLS handler: completes its future when the TLS handshake
/// completes (the server's certificate verified), or fails it with why it did not (a TLS
/// error, the connection closed, or no handshake within the timeout, which also closes the
/// connection). Removes itself once the handshake is done.
final class TLSHandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Why the handshake did not complete.
    enum Failure: Error {
        case tls(any Error)
        case closed
        case timedOut(TimeAmount)
        case wrongName(String)
    }

    private let promise: EventLoopPromise<Void>
    private let timeout: TimeAmount
    private let requiredName: String?
    private var timer: Scheduled<Void>?

    /// The handshake's outcome.
    var future: EventLoopFuture<Void> { promise.futureResult }

    /// - Parameter requiredName: a DNS name the certificate must list (``ServerNameCheck``),
    ///   checked once the handshake completed; nil: NIOSSL's checks (or a pin's) only.
    init(eventLoop: any EventLoop, timeout: TimeAmount, requiredName: String?) {
        promise = eventLoop.makePromise()
        self.timeout = timeout
        self.requiredName = requiredName
    }

    deinit {
        // Never left pending (a handler that was never added); a completed promise ignores it.
        promise.fail(Failure.closed)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let (promise, timeout) = (self.promise, self.timeout)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            promise.fail(Failure.timedOut(timeout))
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        promise.fail(Failure.closed)
    }

    /// A sentence for the reason a handshake failed.
    static func describe(_ error: any Error) -> String {
        switch error {
        case Failure.timedOut(let timeout):
            return "the TLS handshake did not finish within the handshake timeout (\(timeout))"
        case Failure.closed:
            return "the server closed the connection during the TLS handshake (does it speak TLS?)"
        case Failure.wrongName(let name):
            return "the server's certificate does not list the name \(name)"
        case Failure.tls(let error):
            let text = "\(error)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's certificate did not verify against the trusted CAs (unknown issuer, "
                    + "expired or not yet valid, or not for server use): \(text)"
            }
            if text.contains("EOF during handshake") || text.contains("WRONG_VERSION_NUMBER") {
                return "the server did not answer in TLS (a plain TCP server, or a man in the middle?): \(text)"
            }
            if text.contains("reset by peer") {
                return "the server closed the connection during the TLS handshake (does it speak TLS?): \(text)"
            }
            return text
        default:
            return "\(error)"
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            timer?.cancel()
            if let requiredName {
                let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
                    .peerCertificate
                guard let certificate, ServerNameCheck.certificate(certificate, names: requiredName) else {
                    promise.fail(Failure.wrongName(requiredName))
                    context.close(promise: nil)
                    return
                }
            }
            promise.succeed()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(Failure.tls(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(Failure.closed)
        context.fireChannelInactive()
    }
}
