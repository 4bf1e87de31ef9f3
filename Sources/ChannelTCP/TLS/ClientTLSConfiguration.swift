import BitcoinPrimitives
import NIOCore
import NIOSSL

/// TLS for ``ChannelTCPClient``: how the server's certificate is verified. A client with TLS
/// configured never speaks plain TCP: a server that does not complete a verified TLS handshake
/// within the handshake timeout fails the connection with ``ChannelTCPError/tlsFailed(host:port:reason:)``
/// before any message is sent.
///
/// Channels opened over TLS are stored under the server name plus ``identity`` (the verified
/// identity), so they are only ever reopened over TLS with that same identity; see
/// ``ChannelTCPClient/connect(host:port:clientManager:serverID:configuration:)``.
///
/// ```swift
/// var configuration = ChannelTCPClient.Configuration()
/// configuration.tls = try ClientTLSConfiguration(trust: .systemRoots, serverName: "pay.example")
/// ```
public struct ClientTLSConfiguration: Sendable {
    /// What makes the server's certificate acceptable.
    public enum Trust: Sendable, Hashable {
        /// A chain to one of the system's trusted roots, for ``ClientTLSConfiguration/serverName``
        /// (host name and validity dates checked).
        case systemRoots
        /// A chain to one of these certificate authorities (PEM text, one or more certificates),
        /// for ``ClientTLSConfiguration/serverName`` (host name and validity dates checked).
        case certificateAuthorities(pem: [UInt8])
        /// The leaf certificate's public key: SHA-256 (32 bytes) of its SubjectPublicKeyInfo in
        /// DER, for a server with a self-signed certificate. The pin replaces the verification
        /// against a CA: neither the host name nor the certificate's dates are checked (the
        /// key is the identity, as with an SSH host key); TLS still checks that the server holds
        /// the key.
        case publicKeySHA256([UInt8])
    }

    /// How the server's certificate is verified.
    public let trust: Trust
    /// The name the certificate must be valid for (and sent as SNI); nil: the host connected
    /// to. An IP address is checked against the certificate's IP addresses and must be the
    /// address connected to.
    public let serverName: String?
    /// The verified identity channels are bound to: `spki-sha256=HEX` for a pin, or
    /// `name=NAME roots=system` / `name=NAME roots=ca-sha256=HEX` (SHA-256 of the CA
    /// certificates' DER) for a CA-verified server (a nil ``serverName`` is written `name=*`,
    /// the host connected to).
    public let identity: String

    let context: NIOSSLContext

    /// A TLS configuration.
    /// - Throws: ``ChannelTCPError/tlsConfiguration(_:)`` for a pin that is not 32 bytes, CA
    ///   text that holds no certificate, or an empty server name.
    public init(trust: Trust, serverName: String? = nil) throws(ChannelTCPError) {
        if let serverName, serverName.isEmpty || serverName.contains(where: \.isWhitespace) {
            throw .tlsConfiguration("the server name must be a host name or IP address, not '\(serverName)'")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        let name = "name=\(serverName ?? "*")"
        switch trust {
        case .systemRoots:
            tls.trustRoots = .default
            identity = "\(name) roots=system"
        case .certificateAuthorities(let pem):
            let authorities: [NIOSSLCertificate]
            do { authorities = try NIOSSLCertificate.fromPEMBytes(pem) } catch {
                throw .tlsConfiguration("cannot read the CA certificates: \(error)")
            }
            guard !authorities.isEmpty, let der = try? authorities.flatMap({ try $0.toDERBytes() }) else {
                throw .tlsConfiguration("the CA text holds no certificate")
            }
            tls.trustRoots = .certificates(authorities)
            identity = "\(name) roots=ca-sha256=\(Hashing.sha256(der).hex)"
        case .publicKeySHA256(let pin):
            guard pin.count == 32 else {
                throw .tlsConfiguration("a public key pin is a SHA-256 of 32 bytes, not \(pin.count)")
            }
            // The pin's callback replaces the chain and name checks (the callback is only used
            // when verification is on).
            tls.certificateVerification = .noHostnameVerification
            identity = "spki-sha256=\(pin.hex)"
        }
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw .tlsConfiguration("cannot set up TLS: \(error)")
        }
        self.trust = trust
        self.serverName = serverName
    }

    /// The name to send as SNI and check the certificate for, on a connection to `host`: nil
    /// for an IP address (NIOSSL sends no SNI for it and checks the address connected to).
    /// - Throws: ``ChannelTCPError/tlsConfiguration(_:)`` for an IP address other than `host`.
    func hostname(connectingTo host: String) throws(ChannelTCPError) -> String? {
        let name = serverName ?? host
        guard (try? SocketAddress(ipAddress: name, port: 0)) != nil else { return name }
        guard name == host else {
            throw .tlsConfiguration("the server name \(name) is an IP address other than the one connected to, \(host)")
        }
        return nil
    }

    /// The handler that runs TLS on a connection (`hostname` from ``hostname(connectingTo:)``),
    /// and the pin check it reports a refusal through (nil without a pin).
    func makeHandler(hostname: String?) throws -> (NIOSSLClientHandler, PinCheck?) {
        if case .publicKeySHA256(let pin) = trust {
            let check = PinCheck(pin: pin)
            let handler = try NIOSSLClientHandler(
                context: context, serverHostname: hostname, customVerificationCallback: check.verify)
            return (handler, check)
        }
        return (try NIOSSLClientHandler(context: context, serverHostname: hostname), nil)
    }
}
