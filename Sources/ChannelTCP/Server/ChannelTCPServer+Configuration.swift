import Logging
import NIOCore
import NIOPosix

extension ChannelTCPServer {
    /// Limits and timeouts of a ``ChannelTCPServer``. Every field has a default suited to a
    /// public server.
    public struct Configuration: Sendable {
        /// A connection must have an open (or resumed) channel this long after it was accepted,
        /// or it is closed. bitcoinj's listener takes the same kind of timeout. Default 60 s.
        public var handshakeTimeout: Duration
        /// A connection with an open channel that sends nothing for this long is closed (the
        /// channel stays stored and can be resumed); `nil` never closes it. Default 10 min.
        public var idleTimeout: Duration?
        /// Connections beyond this many open ones are closed as soon as they are accepted.
        /// Each takes a file descriptor: raise `ulimit -n` to match. Default 20,000.
        public var maxConnections: Int
        /// Once this many bytes wait to be written to a peer (it does not read what it is
        /// sent), nothing more is read from it until the backlog drops below half. Default
        /// 256 KiB.
        public var maxBufferedOutboundBytes: Int
        /// How long a close waits for queued frames to be written before closing anyway.
        /// Default 10 s.
        public var closeFlushTimeout: Duration
        /// The listen backlog passed to the kernel (which caps it at `net.core.somaxconn`).
        /// Default 4096.
        public var backlog: Int32
        /// Threads of the event loop group the server creates, when ``eventLoopGroup`` is nil.
        /// Default: one per core (`System.coreCount`).
        public var eventLoopThreads: Int
        /// An event loop group to run on instead of creating one (the caller shuts it down).
        /// Default nil.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// Where connection events are logged. Default label `paychan.tcp.server`.
        public var logger: Logger
        /// TLS on every connection; nil (the default) speaks plain TCP, as bitcoinj's peers
        /// do. The TLS handshake counts against ``handshakeTimeout``.
        public var tls: ServerTLSConfiguration?

        /// A configuration with the defaults documented on each property; pass only what differs.
        public init(
            handshakeTimeout: Duration = .seconds(60),
            idleTimeout: Duration? = .seconds(600),
            maxConnections: Int = 20_000,
            maxBufferedOutboundBytes: Int = 256 * 1024,
            closeFlushTimeout: Duration = .seconds(10),
            backlog: Int32 = 4096,
            eventLoopThreads: Int = System.coreCount,
            eventLoopGroup: (any EventLoopGroup)? = nil,
            logger: Logger = Logger(label: "paychan.tcp.server"),
            tls: ServerTLSConfiguration? = nil
        ) {
            self.handshakeTimeout = handshakeTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxBufferedOutboundBytes = maxBufferedOutboundBytes
            self.closeFlushTimeout = closeFlushTimeout
            self.backlog = backlog
            self.eventLoopThreads = eventLoopThreads
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
            self.tls = tls
        }

        func validate() throws(ChannelTCPError) {
            guard handshakeTimeout > .zero else { throw .invalidConfiguration("handshakeTimeout must be positive") }
            if let idleTimeout, idleTimeout <= .zero {
                throw .invalidConfiguration("idleTimeout must be positive (or nil)")
            }
            guard maxConnections > 0 else { throw .invalidConfiguration("maxConnections must be positive") }
            guard maxBufferedOutboundBytes >= 1024 else {
                throw .invalidConfiguration("maxBufferedOutboundBytes must be at least 1024")
            }
            guard closeFlushTimeout >= .zero else {
                throw .invalidConfiguration("closeFlushTimeout must not be negative")
            }
            guard eventLoopThreads > 0 else { throw .invalidConfiguration("eventLoopThreads must be positive") }
        }
    }
}
