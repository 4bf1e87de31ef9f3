import ChannelStateMachine
import NIOCore
import NIOPosix
import Synchronization

/// A bare TCP connection for feeding a server bytes by hand: no framing, no session. It records
/// everything it receives and whether the server closed the connection. Shared by the tests of
/// ChannelTCP and of the `paychan` program.
public final class RawPeer: Sendable {
    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            received.withLock { $0 += bytes }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)  // a reset by the server ends the connection
        }
    }

    private let channel: any Channel
    private let recorder: Recorder

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    public static func connect(port: Int) async throws -> RawPeer {
        let recorder = Recorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .connectTimeout(.seconds(20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawPeer(channel: channel, recorder: recorder)
    }

    /// Everything received so far.
    public var received: [UInt8] { recorder.received.withLock { $0 } }

    /// Whether the connection is closed (by the server, or by ``close()``).
    public var isClosed: Bool { !channel.isActive }

    /// Writes `bytes` as they are, in one write.
    public func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    /// Writes `message` as one frame.
    public func send(_ message: ChannelMessage) async throws {
        try await send(Self.frame(message.encoded()))
    }

    /// Whether the connection is closed within `limit` (a safety net, not a measurement).
    public func closed(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while channel.isActive, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !channel.isActive
    }

    /// Waits until at least `count` whole frames arrived (or `limit` passed); returns them decoded.
    public func messages(atLeast count: Int, within limit: Duration = .seconds(10)) async -> [ChannelMessage] {
        let deadline = ContinuousClock.now + limit
        while frames.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return frames.compactMap { try? ChannelMessage(decoding: $0) }
    }

    public func close() async {
        try? await channel.close()
    }

    /// The received bytes split into frame bodies (a trailing partial frame is left out).
    public var frames: [[UInt8]] {
        var bytes = received[...]
        var bodies: [[UInt8]] = []
        while bytes.count >= 4 {
            let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            guard bytes.count >= 4 + length else { break }
            bodies.append(Array(bytes.dropFirst(4).prefix(length)))
            bytes = bytes.dropFirst(4 + length)
        }
        return bodies
    }

    /// `body` with its 4-byte big-endian length prefix.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        prefix(UInt32(body.count)) + body
    }

    /// A 4-byte big-endian length prefix.
    public static func prefix(_ length: UInt32) -> [UInt8] {
        [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }
}

extension [ChannelMessage] {
    /// The code of the first `ERROR` among these messages.
    public var errorCode: ErrorCode? {
        for case .error(let error) in self { return error.code }
        return nil
    }

    /// The messages' types, in order.
    public var types: [MessageType] { map(\.type) }
}
