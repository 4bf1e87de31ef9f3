import BitcoinPrimitives
import NIOSSL

/// TLS for a ``ChannelTCPServer``: the server's certificate chain and private key (PEM).
/// Connections then speak TLS 1.3 (or 1.2, the oldest accepted) before the first frame; a peer
/// that does not (a plain bitcoinj client) fails the handshake and is closed. The framing
/// limits, handshake and idle timeouts of ``ChannelTCPServer/Configuration`` apply unchanged:
/// the handshake timeout counts from the TCP accept, so a TLS handshake that never finishes is
/// closed with it.
///
/// ```swift
/// var configuration = ChannelTCPServer.Configuration()
/// configuration.tls = try ServerTLSConfiguration(
///     certificateChainFile: "/etc/paychan/cert.pem", privateKeyFile: "/etc/paychan/key.pem")
/// ```
public struct ServerTLSConfiguration: Sendable {
    let context: NIOSSLContext

    /// SHA-256 of the leaf certificate's SubjectPublicKeyInfo (DER): what a client pins with
    /// ``ClientTLSConfiguration/Trust/publicKeySHA256(_:)``.
    public let publicKeySHA256: [UInt8]

    /// TLS with the certificate chain (leaf first) and private key given as PEM text.
    /// - Throws: ``ChannelTCPError/tlsConfiguration(_:)`` when either cannot be read or the key
    ///   does not belong to the leaf certificate.
    public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8]) throws(ChannelTCPError) {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(certificateChainPEM) } catch {
            throw .tlsConfiguration("cannot read the certificate chain: \(error)")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem) } catch {
            throw .tlsConfiguration("cannot read the private key: \(error)")
        }
        try self.init(chain: chain, key: key)
    }

    /// TLS with the certificate chain (leaf first) and private key read from PEM files.
    /// - Throws: ``ChannelTCPError/tlsConfiguration(_:)`` naming the file that cannot be read,
    ///   or when the key does not belong to the leaf certificate.
    public init(certificateChainFile: String, privateKeyFile: String) throws(ChannelTCPError) {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateChainFile) } catch {
            throw .tlsConfiguration("cannot read a PEM certificate chain from \(certificateChainFile): \(error)")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem) } catch {
            throw .tlsConfiguration("cannot read a PEM private key from \(privateKeyFile): \(error)")
        }
        try self.init(chain: chain, key: key)
    }

    private init(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws(ChannelTCPError) {
        guard let leaf = chain.first else { throw .tlsConfiguration("the certificate chain holds no certificate") }
        guard let pin = PublicKeyPin.sha256(of: leaf) else {
            throw .tlsConfiguration("cannot read the leaf certificate's public key")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw .tlsConfiguration("the certificate chain and private key cannot be used together: \(error)")
        }
        publicKeySHA256 = pin
    }

    func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context)
    }
}

/// The public key pin of a certificate: SHA-256 of its SubjectPublicKeyInfo (DER).
enum PublicKeyPin {
    static func sha256(of certificate: NIOSSLCertificate) -> [UInt8]? {
        guard let spki = try? certificate.extractPublicKey().toSPKIBytes() else { return nil }
        return Hashing.sha256(spki)
    }
}
