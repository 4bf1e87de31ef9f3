import ChannelStateMachine
import NIOCore
import NIOPosix
import PaychanTestSupport
import Synchronization

/// A man in the middle on 127.0.0.1 that strips TLS: it takes a client's connection, keeps the
/// client's first bytes (its ClientHello) to itself, opens a plain conversation with the real
/// server (`CLIENT_VERSION`), and answers the client with the server's plain frames
/// (`SERVER_VERSION`, `INITIATE`), as if TLS were not there.
final class DowngradeProxy: Sendable {
    private final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let proxy: DowngradeProxy

        init(proxy: DowngradeProxy) { self.proxy = proxy }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            let first = proxy.state.withLock { state -> Bool in
                guard state.firstBytes == nil else { return false }
                state.firstBytes = bytes
                return true
            }
            guard first else { return }
            let (client, proxy) = (context.channel, self.proxy)
            Task { await proxy.answerInPlain(client) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private struct State {
        var firstBytes: [UInt8]?
        var answered = false
    }

    private let state = Mutex(State())
    private let plainServerPort: Int
    private let listener = Mutex<(any Channel)?>(nil)

    private init(plainServerPort: Int) {
        self.plainServerPort = plainServerPort
    }

    /// Starts listening on a free port of 127.0.0.1.
    static func start(plainServerPort: Int) async throws -> DowngradeProxy {
        let proxy = DowngradeProxy(plainServerPort: plainServerPort)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Relay(proxy: proxy))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        proxy.listener.withLock { $0 = channel }
        return proxy
    }

    /// The port it listens on.
    var port: Int { listener.withLock { $0?.localAddress?.port } ?? 0 }
    /// The first bytes the client sent.
    var firstBytesFromClient: [UInt8]? { state.withLock { $0.firstBytes } }
    /// Whether it wrote the server's plain frames to the client.
    var answeredInPlain: Bool { state.withLock { $0.answered } }

    func stop() async {
        try? await listener.withLock { $0 }?.close().get()
    }

    private func answerInPlain(_ client: any Channel) async {
        guard let server = try? await RawPeer.connect(port: plainServerPort) else { return }
        try? await server.send(.clientVersion(ClientVersion(major: 2)))
        _ = await server.messages(atLeast: 2)
        let plain = server.received
        await server.close()
        guard !plain.isEmpty,
            (try? await client.writeAndFlush(client.allocator.buffer(bytes: plain)).get()) != nil
        else { return }
        state.withLock { $0.answered = true }
    }
}
