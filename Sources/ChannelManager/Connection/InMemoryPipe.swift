import Synchronization

/// Two connected in-memory transports, for tests, benchmarks and single-process setups: what
/// one end sends is handed, in order, to whatever is attached to the other end.
///
/// ```swift
/// let pipe = InMemoryPipe()
/// let server = try await serverManager.accept(pipe.serverEnd)
/// pipe.serverEnd.attach(server.receive, closed: server.connectionClosed)
/// let client = try clientManager.connect(serverID: "local", connection: pipe.clientEnd)
/// pipe.clientEnd.attach(client.receive, closed: client.connectionClosed)
/// ```
public final class InMemoryPipe: Sendable {
    /// One end of the pipe.
    public final class End: ChannelConnection {
        struct State {
            var receiver: (@Sendable ([UInt8]) -> Void)?
            var closedHandler: (@Sendable () -> Void)?
            /// What arrived before anything was attached.
            var backlog: [[UInt8]] = []
            var closed = false
            var closeNoticePending = false
            var bytesReceived = 0
        }

        let state = Mutex(State())
        let pipe: Mutex<InMemoryPipe?> = Mutex(nil)

        /// Routes what the other end sends to `receive`, and the end of the pipe to `closed`.
        public func attach(_ receive: @escaping @Sendable ([UInt8]) -> Void, closed: @escaping @Sendable () -> Void) {
            let (backlog, notifyClose) = state.withLock { state in
                if !state.closed {
                    state.receiver = receive
                    state.closedHandler = closed
                }
                defer {
                    state.backlog = []
                    state.closeNoticePending = false
                }
                return (state.backlog, state.closeNoticePending)
            }
            for message in backlog { receive(message) }
            if notifyClose { closed() }
        }

        /// Bytes of message bodies received on this end.
        public var bytesReceived: Int { state.withLock { $0.bytesReceived } }

        public func send(_ message: [UInt8]) {
            pipe.withLock { $0 }?.deliver(message, from: self)
        }

        public func close() {
            pipe.withLock { $0 }?.cut()
        }

        func deliver(_ message: [UInt8]) {
            let receiver = state.withLock { state -> (@Sendable ([UInt8]) -> Void)? in
                guard !state.closed else { return nil }
                state.bytesReceived += message.count
                if state.receiver == nil { state.backlog.append(message) }
                return state.receiver
            }
            receiver?(message)
        }

        func deliverClose() {
            let handler = state.withLock { state -> (@Sendable () -> Void)? in
                guard !state.closed else { return nil }
                state.closed = true
                if state.closedHandler == nil { state.closeNoticePending = true }
                // Nothing is delivered any more: let go of the handlers, which hold the session.
                defer {
                    state.receiver = nil
                    state.closedHandler = nil
                }
                return state.closedHandler
            }
            handler?()
        }
    }

    /// The end a client uses.
    public let clientEnd = End()
    /// The end a server uses.
    public let serverEnd = End()

    /// A pipe with both ends connected.
    public init() {
        clientEnd.pipe.withLock { $0 = self }
        serverEnd.pipe.withLock { $0 = self }
    }

    /// Breaks the pipe: both ends learn the connection closed; nothing more is delivered.
    public func cut() {
        clientEnd.deliverClose()
        serverEnd.deliverClose()
        clientEnd.pipe.withLock { $0 = nil }
        serverEnd.pipe.withLock { $0 = nil }
    }

    func deliver(_ message: [UInt8], from end: End) {
        (end === clientEnd ? serverEnd : clientEnd).deliver(message)
    }
}
