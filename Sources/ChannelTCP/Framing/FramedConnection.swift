import ChannelManager
import ChannelStateMachine
import Logging
import NIOCore
import Synchronization

/// A manager's ``ChannelConnection`` over one NIO channel: each message goes out as one frame
/// in one write. Callable from any thread; what is sent between two turns of the event loop is
/// written in order and flushed once. ``close()`` flushes everything queued before closing.
final class FramedConnection: ChannelConnection {
    private struct State {
        var pending: [ByteBuffer] = []
        var flushScheduled = false
        var closeRequested = false
        /// The channel is closed: nothing more is scheduled on its event loop (which may be
        /// shut down by now).
        var channelClosed = false
        /// Completes once every write issued so far completed (writes complete in order).
        var lastWrite: EventLoopFuture<Void>?
    }

    let channel: any Channel
    private let closeFlushTimeout: TimeAmount
    private let logger: Logger
    private let state = Mutex(State())
    /// Called after each message is queued for writing.
    private let onSend: (@Sendable () -> Void)?

    init(
        channel: any Channel, closeFlushTimeout: TimeAmount, logger: Logger, onSend: (@Sendable () -> Void)? = nil
    ) {
        self.channel = channel
        self.closeFlushTimeout = closeFlushTimeout
        self.logger = logger
        self.onSend = onSend
    }

    func send(_ message: [UInt8]) {
        guard message.count <= WireLimits.maxMessageSize else {
            // The peer would hang up on it (bitcoinj does); end the conversation here instead.
            logger.error("refusing to send a \(message.count)-byte message (limit \(WireLimits.maxMessageSize))")
            abort()
            return
        }
        let frame = channel.allocator.frame(message)
        let schedule = state.withLock { state -> Bool in
            guard !state.closeRequested, !state.channelClosed else { return false }
            state.pending.append(frame)
            return scheduleFlush(&state)
        }
        onSend?()
        if schedule { channel.eventLoop.execute { self.writePending() } }
    }

    func close() {
        let schedule = state.withLock { state -> Bool in
            guard !state.closeRequested, !state.channelClosed else { return false }
            state.closeRequested = true
            return scheduleFlush(&state)
        }
        if schedule { channel.eventLoop.execute { self.writePending() } }
    }

    func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }

    /// Closes at once, dropping whatever was queued.
    func abort() {
        let open = state.withLock { state -> Bool in
            state.closeRequested = true
            state.pending = []
            return !state.channelClosed
        }
        if open { channel.close(promise: nil) }
    }

    /// The channel went inactive (called on its event loop, before the session hears of it).
    func markClosed() {
        state.withLock { state in
            state.channelClosed = true
            state.pending = []
        }
    }

    private func scheduleFlush(_ state: inout State) -> Bool {
        guard !state.flushScheduled else { return false }
        state.flushScheduled = true
        return true
    }

    /// On the event loop: writes what is queued, flushes, and closes if asked once the writes
    /// completed (or after the grace period, if the peer does not read).
    private func writePending() {
        let (frames, close) = state.withLock { state in
            state.flushScheduled = false
            defer { state.pending = [] }
            return (state.pending, state.closeRequested)
        }
        var last: EventLoopFuture<Void>?
        for frame in frames { last = channel.write(frame) }
        if let last {
            channel.flush()
            state.withLock { $0.lastWrite = last }
        }
        guard close else { return }
        let channel = self.channel
        let written = state.withLock { $0.lastWrite } ?? channel.eventLoop.makeSucceededVoidFuture()
        let deadline = channel.eventLoop.scheduleTask(in: closeFlushTimeout) { channel.close(promise: nil) }
        written.whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
}
