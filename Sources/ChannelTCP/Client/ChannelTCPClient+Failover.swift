import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine

extension ChannelTCPClient {
    /// A session whose channel is open (or reopened), and how it got there.
    public struct OpenedSession: Sendable {
        /// The session, ready for `ClientSession.pay(_:info:)` and `ClientSession.close()`.
        public let session: ClientSession
        /// The channel the server opened or resumed.
        public let channel: OpenedChannel
        /// The address that served it.
        public let address: ServerAddress
        /// The addresses tried before it, in order, and why each was passed over.
        public let failedAttempts: [FailedAttempt]
    }

    /// An address that was passed over, and why.
    public struct FailedAttempt: Sendable, CustomStringConvertible {
        /// The address tried.
        public let address: ServerAddress
        /// What went wrong: ``ChannelTCPError/connectFailed(host:port:reason:)``,
        /// ``ChannelTCPError/tlsFailed(host:port:reason:)``, or
        /// ``ChannelTCPError/session(_:)`` with the session's end (the connection closed before
        /// the channel was open, or the server did not answer in time).
        public let error: ChannelTCPError

        public var description: String {
            switch error {
            case .connectFailed(_, _, let reason): return "\(address): cannot connect: \(reason)"
            case .tlsFailed(_, _, let reason): return "\(address): TLS failed: \(reason)"
            case .session(.ended(.connectionClosed)):
                return "\(address): the connection closed before a channel was open"
            case .session(.ended(.localError(let error))) where error.code == .timeout:
                return "\(address): no answer in time: \(error.explanation)"
            default: return "\(address): \(error)"
            }
        }
    }

    /// Opens a channel worth `value`, or reopens the stored one with the most value left, with
    /// the first of `servers` that does: each address is tried once, in order, and the next is
    /// tried when one cannot be connected to, fails the TLS handshake (with
    /// ``Configuration/tls`` set), closes the connection before the channel is open
    /// (as a load balancer does when no server behind it answers), or does not answer within
    /// ``Configuration/handshakeTimeout`` or ``Configuration/replyTimeout``. Any other failure
    /// (the server answered `ERROR`, the wallet cannot fund the channel, the store failed) is
    /// thrown at once as ``ChannelTCPError/session(_:)``: another address would not mend it.
    ///
    /// Every attempt names the server `serverID` in the client's store, so a channel opened
    /// through one address is reopened through any other: give the addresses of one server
    /// (its listeners, a load balancer in front of it, the nodes of a cluster that share its
    /// store), never of unrelated servers, which would each be offered the other's channel.
    ///
    /// ```swift
    /// let opened = try await ChannelTCPClient.open(
    ///     value: Amount(exactly: 1_000_000)!,
    ///     servers: [ServerAddress(host: "pay-a.example", port: 4242), ServerAddress(host:
    /// "pay-b.example", port: 4242)],
    ///     serverID: "pay.example", clientManager: manager)
    /// try await opened.session.pay(Amount(exactly: 1000)!)
    /// ```
    ///
    /// - Parameters:
    ///   - value: the value of a new channel (a reopened one keeps its own).
    ///   - servers: the addresses to try, in order; at least one.
    ///   - serverID: the server's name in the client's store; by default the addresses as
    ///     `host:port`, joined by commas (so for one address, the same name as
    ///     ``connect(host:port:clientManager:serverID:configuration:)`` gives it).
    ///   - clientManager: the manager that funds, stores and reopens the channel.
    ///   - configuration: timeouts and the rest, for every attempt.
    /// - Throws: ``ChannelTCPError/noServerReachable(_:)`` with every attempt's failure when no
    ///   address served; ``ChannelTCPError/session(_:)`` for a failure that ends the attempts.
    public static func open(
        value: Amount, servers: [ServerAddress], serverID: String? = nil, clientManager: ClientManager,
        configuration: Configuration = Configuration()
    ) async throws(ChannelTCPError) -> OpenedSession {
        try configuration.validate()
        guard !servers.isEmpty else { throw .invalidConfiguration("no server address to try") }
        let serverID = serverID ?? servers.map(\.description).joined(separator: ",")
        var failed: [FailedAttempt] = []
        for address in servers {
            do throws(ChannelTCPError) {
                let session = try await connect(
                    host: address.host, port: address.port, clientManager: clientManager, serverID: serverID,
                    configuration: configuration)
                let channel: OpenedChannel
                do { channel = try await session.open(value: value) } catch { throw .session(error) }
                return OpenedSession(session: session, channel: channel, address: address, failedAttempts: failed)
            } catch  where error.allowsAnotherAddress {
                configuration.logger.notice("\(address) did not open a channel with \(serverID): \(error)")
                failed.append(FailedAttempt(address: address, error: error))
            }
        }
        throw .noServerReachable(failed)
    }
}

extension ChannelTCPError {
    /// Whether an attempt that failed so may be followed by one at another address: only when
    /// the server could not be reached or left before it opened (or resumed) the channel.
    fileprivate var allowsAnotherAddress: Bool {
        switch self {
        case .connectFailed: return true
        // Nothing was sent: the next address is held to the same verification.
        case .tlsFailed: return true
        case .session(.ended(.connectionClosed)): return true
        case .session(.ended(.localError(let error))): return error.code == .timeout
        default: return false
        }
    }
}
