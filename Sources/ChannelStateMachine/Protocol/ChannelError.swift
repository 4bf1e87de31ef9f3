/// A protocol failure: the bitcoinj error code that goes on the wire, a human explanation, and
/// whose fault it is (as h11 separates local and remote protocol errors).
public struct ChannelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Who broke the protocol.
    public enum Origin: Sendable, Hashable {
        /// The peer sent something invalid, or refused our terms.
        case remote
        /// We refused to continue (bad terms offered to us, our own limits, a failed effect).
        case local
    }

    /// The code that goes on the wire.
    public let code: ErrorCode
    /// What went wrong, for people.
    public let explanation: String
    /// Whether the peer or we broke off.
    public let origin: Origin
    /// For `ERROR.expected_value`: the value the sender would have accepted, if any.
    public let expectedValue: UInt64?

    /// An error with its code, explanation, origin and expected value.
    public init(_ code: ErrorCode, _ explanation: String, origin: Origin = .remote, expectedValue: UInt64? = nil) {
        self.code = code
        self.explanation = explanation
        self.origin = origin
        self.expectedValue = expectedValue
    }

    static func syntax(_ explanation: String) -> ChannelError { ChannelError(.syntaxError, explanation) }
    static func badTransaction(_ explanation: String) -> ChannelError { ChannelError(.badTransaction, explanation) }

    public var description: String { "\(code): \(explanation)" }
}

/// Why a channel's connection ended, as reported in events.
public enum CloseReason: Sendable, Hashable {
    /// The client asked to settle and the channel was settled.
    case clientRequestedClose
    /// The server settled on its own (exhaustion, expiry, or an operator) or ended the connection.
    case serverRequestedClose
    /// The channel was paid out completely and settled.
    case channelExhausted
    /// The channel is near its expiry and was settled.
    case expiry
    /// We sent `ERROR`.
    case localError(ChannelError)
    /// The peer sent `ERROR` with this code and explanation.
    case remoteError(code: ErrorCode, explanation: String)
    /// The transport closed without a `CLOSE` or `ERROR`.
    case connectionClosed
    /// Another connection resumed the same channel.
    case replacedByNewConnection
}
