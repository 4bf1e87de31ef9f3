/// The transport a manager talks to a peer through, implemented by the caller (or by
/// ChannelTCP). Messages are whole protobuf bodies; the transport frames them.
///
/// Calls come in order from one session at a time and must not block: queue the bytes and
/// return. Report what the peer sends back with the session's `receive(_:)`, and report the
/// end of the transport with its `connectionClosed()`.
public protocol ChannelConnection: Sendable {
    /// Queues one message body for sending, after everything sent before it.
    func send(_ message: [UInt8])
    /// Flushes what was queued, then closes the transport.
    func close()
    /// Returns once the transport is closed, what was queued before ``close()`` written (or
    /// given up on). A session waits for it before reporting its end, so that a program that
    /// exits then does not lose its last message (an `ERROR`). The default returns at once.
    func waitUntilClosed() async
}

extension ChannelConnection {
    /// Returns at once: for transports that write synchronously.
    public func waitUntilClosed() async {}
}
