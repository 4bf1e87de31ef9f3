extension ClientChannel {
    /// Whether the machine waits for the server to answer something it sent: the version
    /// exchange, `INITIATE`, the refund signature, `CHANNEL_OPEN`, an acknowledgement of a
    /// payment in flight, or the settlement after `CLOSE`. The caller times these out with
    /// ``replyTimedOut(_:)``.
    public var isAwaitingReply: Bool {
        switch state {
        case .awaitingServerVersion, .awaitingInitiate, .awaitingRefundSignature, .awaitingChannelOpen, .closing:
            return true
        case .ready(let channel):
            return !channel.inFlight.isEmpty
        case .idle, .awaitingFunding, .closed:
            return false
        }
    }

    /// The server left what the machine sent unanswered for too long: `ERROR TIMEOUT`, and the
    /// conversation ends (payments in flight fail). A stored channel stays stored.
    public mutating func replyTimedOut(_ explanation: String) -> [ClientEffect] {
        fail(ChannelError(.timeout, explanation, origin: .local))
    }
}
