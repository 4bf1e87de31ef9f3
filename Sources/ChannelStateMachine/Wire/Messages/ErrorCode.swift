/// The reason carried by an ``ErrorMessage``: bitcoinj's `Error.ErrorCode`, with its wire numbers.
public enum ErrorCode: Int32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The other side took too long.
    case timeout = 1
    /// A message was malformed, or not expected at this point of the conversation.
    case syntaxError = 2
    /// The two sides have no protocol version in common.
    case noAcceptableVersion = 3
    /// A transaction, key or signature failed its checks.
    case badTransaction = 4
    /// The client refuses the server's expiry time.
    case timeWindowUnacceptable = 5
    /// The server's minimum channel size is more than the client will lock up.
    case channelValueTooLarge = 6
    /// The server's minimum payment is more than the client accepts.
    case minPaymentTooLarge = 7
    /// Anything else; also the value of an ``ErrorMessage`` that carries no code.
    case other = 8

    /// The name bitcoinj's `.proto` gives the code, e.g. `BAD_TRANSACTION`.
    public var protoName: String {
        switch self {
        case .timeout: return "TIMEOUT"
        case .syntaxError: return "SYNTAX_ERROR"
        case .noAcceptableVersion: return "NO_ACCEPTABLE_VERSION"
        case .badTransaction: return "BAD_TRANSACTION"
        case .timeWindowUnacceptable: return "TIME_WINDOW_UNACCEPTABLE"
        case .channelValueTooLarge: return "CHANNEL_VALUE_TOO_LARGE"
        case .minPaymentTooLarge: return "MIN_PAYMENT_TOO_LARGE"
        case .other: return "OTHER"
        }
    }

    /// The same as ``protoName``.
    public var description: String { protoName }
}
