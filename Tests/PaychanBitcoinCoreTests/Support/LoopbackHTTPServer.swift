import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the loopback server received it.
struct ReceivedRequest: Sendable {
    var uri: String
    var authorization: String?
    var body: [UInt8]
}

/// What the loopback server does with a request.
enum ScriptedReply: Sendable {
    /// Answers with `status` and `body` (Content-Length set).
    case respond(status: Int, body: [UInt8])
    /// Sends the head (announcing `body`'s full length) and the first `sentBytes` of `body`,
    /// then closes the connection: an answer cut off mid-way.
    case dropMidResponse(body: [UInt8], sentBytes: Int)
    /// Closes the connection without answering.
    case close
}

/// A loopback HTTP/1.1 server (SwiftNIO) whose answers a test scripts: it replays recorded
/// Bitcoin Core exchanges, forwards to a real node while recording, or misbehaves on purpose.
final class LoopbackHTTPServer: Sendable {
    /// How requests are answered: at once on the server's event loop (scripted and replayed
    /// answers: no wait for a task, however busy the test process is), or by a task (forwarding
    /// to a real node, answering late on purpose).
    enum Responder: Sendable {
        case immediate(@Sendable (ReceivedRequest) -> ScriptedReply)
        case async(@Sendable (ReceivedRequest) async -> ScriptedReply)
    }

    private let channel: any Channel
    /// The port it listens on, on 127.0.0.1.
    let port: Int

    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Listens on a free loopback port, answering each request at once with `responder`.
    static func start(_ responder: @escaping @Sendable (ReceivedRequest) -> ScriptedReply) async throws
        -> LoopbackHTTPServer
    {
        try await start(responder: .immediate(responder))
    }

    /// Listens on a free loopback port, answering each request with `responder`.
    static func start(responder: Responder) async throws -> LoopbackHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(responder: responder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ChannelError.unknownLocalAddress }
        return LoopbackHTTPServer(channel: channel, port: port)
    }

    /// Stops listening.
    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let responder: Responder
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(responder: Responder) { self.responder = responder }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                let request = ReceivedRequest(
                    uri: head.uri, authorization: head.headers.first(name: "Authorization"), body: body)
                let keepAlive = head.isKeepAlive
                switch responder {
                case .immediate(let respond):
                    write(respond(request), keepAlive: keepAlive, context: context)
                case .async(let respond):
                    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    let eventLoop = context.eventLoop
                    Task {
                        let reply = await respond(request)
                        eventLoop.execute {
                            let (handler, context) = loopBound.value
                            handler.write(reply, keepAlive: keepAlive, context: context)
                        }
                    }
                }
            }
        }

        private func write(_ reply: ScriptedReply, keepAlive: Bool, context: ChannelHandlerContext) {
            switch reply {
            case .close:
                context.close(promise: nil)
            case .respond(let status, let bytes):
                writeHead(status: status, length: bytes.count, keepAlive: keepAlive, context: context)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                let channel = context.channel
                if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
            case .dropMidResponse(let bytes, let sent):
                writeHead(status: 200, length: bytes.count, keepAlive: true, context: context)
                let part = ByteBuffer(bytes: bytes.prefix(sent))
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part)))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
        }

        private func writeHead(status: Int, length: Int, keepAlive: Bool, context: ChannelHandlerContext) {
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(length))])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
