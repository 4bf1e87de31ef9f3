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
}
