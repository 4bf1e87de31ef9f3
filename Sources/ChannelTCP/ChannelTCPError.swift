import ChannelManager

/// Why a ``ChannelTCPServer`` or ``ChannelTCPClient`` operation failed.
public enum ChannelTCPError: Error, Sendable, CustomStringConvertible {
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// ``ChannelTCPServer/start(host:port:serverManager:configuration:)`` was called twice.
    case alreadyStarted
    /// The listening socket could not be set up.
    case bindFailed(host: String, port: Int, reason: String)
    /// The connection to the server could not be made (refused, unreachable, timed out).
    case connectFailed(host: String, port: Int, reason: String)
    /// A TLS setting cannot be used: a certificate, key or CA file that cannot be read, a key
    /// that does not match its certificate, a malformed pin or server name, or a server ID that
    /// names a TLS identity on a plain connection.
    case tlsConfiguration(String)
    /// The TLS handshake with the server failed: its certificate did not verify (unknown CA,
    /// wrong host name, expired, not the pinned key), it does not speak TLS, or it did not
    /// finish the handshake within the handshake timeout. Nothing was sent to it in plain.
    case tlsFailed(host: String, port: Int, reason: String)
    /// The client manager refused a new session, or the session failed in a way that trying
    /// another address would not mend (the server answered `ERROR`, the store failed, the
    /// wallet could not fund the channel).
    case session(ClientSessionError)
    /// ``ChannelTCPClient/open(value:servers:serverID:clientManager:configuration:)`` tried
    /// every address once, in order, and none opened (or reopened) a channel: each attempt
    /// says why (the connection was refused or timed out, it closed before the channel was
    /// open, the server did not answer in time).
    case noServerReachable([ChannelTCPClient.FailedAttempt])

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return "invalid configuration: \(message)"
        case .alreadyStarted: return "the server was already started"
        case .bindFailed(let host, let port, let reason): return "cannot listen on \(host):\(port): \(reason)"
        case .connectFailed(let host, let port, let reason): return "cannot connect to \(host):\(port): \(reason)"
        case .tlsConfiguration(let message): return "TLS: \(message)"
        case .tlsFailed(let host, let port, let reason): return "TLS with \(host):\(port) failed: \(reason)"
        case .session(let error): return error.description
        case .noServerReachable(let attempts):
            guard !attempts.isEmpty else { return "no server address was given" }
            return "no server opened a channel: " + attempts.map(\.description).joined(separator: "; ")
        }
    }
}
