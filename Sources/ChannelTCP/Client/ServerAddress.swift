/// Where a channel server listens: a host name or IP address and a TCP port.
///
/// One server may be reachable at several addresses (its own listeners, a load balancer in
/// front of it, the nodes of a cluster sharing one store): give them all to
/// ``ChannelTCPClient/open(value:servers:serverID:clientManager:configuration:)``, which tries
/// them in turn under one server identity.
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or IP address (an IPv6 address without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int

    /// The address `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, as ``ChannelTCPClient`` names a server by default.
    public var description: String { "\(host):\(port)" }
}
