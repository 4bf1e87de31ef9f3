import Logging
import NIOCore
import NIOPosix

extension ChannelTCPClient {
    /// How ``ChannelTCPClient`` connects. Every field has a default.
    public struct Configuration: Sendable {
        /// How long to wait for the TCP connection to be established. Default 10 s.
        public var connectTimeout: Duration
        /// How long the server has, from the connection, to open (or reopen) a channel; after
        /// that the connection is closed and a pending `open` fails. Default 60 s, as bitcoinj.
        public var handshakeTimeout: Duration
        /// How long the server has to answer each message that wants an answer (the version
        /// exchange, the refund signature, `CHANNEL_OPEN`, a payment's acknowledgement, the
        /// settlement after `CLOSE`); after that the session sends `ERROR TIMEOUT` and ends,
        /// failing what is pending. `nil` waits forever. Default 60 s.
        public var replyTimeout: Duration?
        /// Once this many bytes wait to be written to the server, nothing more is read from
        /// it until the backlog drops below half. Default 256 KiB.
        public var maxBufferedOutboundBytes: Int
        /// How long a close waits for queued frames to be written before closing anyway.
        /// Default 10 s.
        public var closeFlushTimeout: Duration
        /// The event loop group connections run on. Default: NIO's shared
        /// `MultiThreadedEventLoopGroup.singleton` (one thread per core).
        public var eventLoopGroup: any EventLoopGroup
        /// Where connection events are logged. Default label `paychan.tcp.client`.
        public var logger: Logger
        /// TLS, and how the server is verified; nil (the default) speaks plain TCP, as bitcoinj.
        /// With TLS the connection never falls back to plain, the handshake must complete
        /// within ``handshakeTimeout``, and channels are bound to the verified identity (see
        /// ``ClientTLSConfiguration/identity``).
        public var tls: ClientTLSConfiguration?

        /// A configuration with the defaults documented on each property; pass only what differs.
        public init(
            connectTimeout: Duration = .seconds(10),
            handshakeTimeout: Duration = .seconds(60),
            replyTimeout: Duration? = .seconds(60),
            maxBufferedOutboundBytes: Int = 256 * 1024,
            closeFlushTimeout: Duration = .seconds(10),
            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
            logger: Logger = Logger(label: "paychan.tcp.client"),
            tls: ClientTLSConfiguration? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.handshakeTimeout = handshakeTimeout
            self.replyTimeout = replyTimeout
            self.maxBufferedOutboundBytes = maxBufferedOutboundBytes
            self.closeFlushTimeout = closeFlushTimeout
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
            self.tls = tls
        }

        func validate() throws(ChannelTCPError) {
            guard connectTimeout > .zero else { throw .invalidConfiguration("connectTimeout must be positive") }
            guard handshakeTimeout > .zero else { throw .invalidConfiguration("handshakeTimeout must be positive") }
            if let replyTimeout, replyTimeout <= .zero {
                throw .invalidConfiguration("replyTimeout must be positive (or nil)")
            }
            guard maxBufferedOutboundBytes >= 1024 else {
                throw .invalidConfiguration("maxBufferedOutboundBytes must be at least 1024")
            }
            guard closeFlushTimeout >= .zero else {
                throw .invalidConfiguration("closeFlushTimeout must not be negative")
            }
        }
    }
}
