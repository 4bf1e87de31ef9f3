import ChannelTCP
import NIOCore
import NIOPosix
import PaychanTestSupport

/// Addresses on 127.0.0.1 that fail as a client's failover meets them.
enum FailoverAddresses {
    /// A port nothing listens on, so connecting is refused: one below the ephemeral range,
    /// which no other test's `:0` listener can be given meanwhile (one from that range was, once).
    static func refusing() async throws -> ServerAddress {
        ServerAddress(host: TCPTestbed.host, port: try LoopbackPort.belowEphemeralRange())
    }

    /// A listener that accepts connections and never says anything. Close it when done.
    static func silent() async throws -> (address: ServerAddress, listener: any Channel) {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: TCPTestbed.host, port: 0).get()
        return (ServerAddress(host: TCPTestbed.host, port: listener.localAddress?.port ?? 0), listener)
    }

    /// A listener that accepts each connection and closes it at once, as a TCP load balancer
    /// does when no server behind it answers. Close it when done.
    static func dropping() async throws -> (address: ServerAddress, listener: any Channel) {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CloseAtOnce()) }
            }
            .bind(host: TCPTestbed.host, port: 0).get()
        return (ServerAddress(host: TCPTestbed.host, port: listener.localAddress?.port ?? 0), listener)
    }
}

extension TCPTestbed {
    /// The testbed's own listener as a failover address.
    var address: ServerAddress { ServerAddress(host: Self.host, port: port) }

    /// Another listener of the same server manager (so the same store): one server reachable
    /// at a second address. Stop it when done.
    func secondListener() async throws -> (address: ServerAddress, listener: ChannelTCPServer) {
        let listener = ChannelTCPServer()
        var quiet = ChannelTCPServer.Configuration()
        quiet.logger.logLevel = .warning
        try await listener.start(host: Self.host, port: 0, serverManager: server, configuration: quiet)
        return (ServerAddress(host: Self.host, port: listener.port ?? 0), listener)
    }
}

/// Closes its connection as soon as it is up.
private final class CloseAtOnce: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
