import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import PaychanTLSTestSupport
import Testing

extension TCPTestbed {
    /// A testbed whose listener speaks TLS with `issued` (a certificate of ``TestCertificates``).
    convenience init(
        tls issued: TestCertificates.Issued, tcp: ChannelTCPServer.Configuration = ChannelTCPServer.Configuration(),
        coins: Int = 1
    ) async throws {
        var tcp = tcp
        tcp.tls = try ServerTLSConfiguration(
            certificateChainPEM: Array(issued.certificatePEM.utf8), privateKeyPEM: Array(issued.privateKeyPEM.utf8))
        try await self.init(tcp: tcp, coins: coins)
    }

    /// A client session over TLS to the listener (or `port`), verified as `tls` says.
    func connect(tls: ClientTLSConfiguration, port: Int? = nil, handshakeTimeout: Duration = .seconds(10))
        async throws(ChannelTCPError) -> ClientSession
    {
        try await ChannelTCPClient.connect(
            host: Self.host, port: port ?? self.port, clientManager: client, serverID: Self.serverID,
            configuration: ChannelTCPClient.Configuration(handshakeTimeout: handshakeTimeout, tls: tls))
    }

    /// What the client holds: its stored channels and its wallet's balance.
    func clientHoldings() async throws -> ClientHoldings {
        ClientHoldings(channels: Set(try await client.channels()), balance: try await wallet.balance())
    }
}

/// A client's stored channels and wallet balance, compared before and after a refused connection.
struct ClientHoldings: Equatable {
    let channels: Set<ClientChannelRecord>
    let balance: WalletBalance
}

extension ClientTLSConfiguration {
    /// Trusts `authority`'s certificate and checks the name `localhost`.
    static func trusting(_ authority: TestCertificates.Issued, serverName: String = "localhost") throws
        -> ClientTLSConfiguration
    {
        try ClientTLSConfiguration(
            trust: .certificateAuthorities(pem: Array(authority.certificatePEM.utf8)), serverName: serverName)
    }

    /// Pins the public key of `issued`.
    static func pinning(_ issued: TestCertificates.Issued) throws -> ClientTLSConfiguration {
        try ClientTLSConfiguration(trust: .publicKeySHA256(issued.publicKeySHA256))
    }
}
