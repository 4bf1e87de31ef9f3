import ArgumentParser
import ChannelTCP
import Foundation

/// `paychan server --tls-cert FILE --tls-key FILE`: TLS on the listener.
struct ServerTLSOptions: ParsableArguments {
    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp(
            "Speak TLS (1.3, or 1.2) with this PEM certificate chain, leaf first; needs --tls-key. Default: plain TCP, as bitcoinj.",
            valueName: "file"))
    var certificate: String?

    @Option(
        name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var privateKey: String?

    /// The listener's TLS, or nil for plain TCP.
    func configuration() throws(CommandFailure) -> ServerTLSConfiguration? {
        switch (certificate, privateKey) {
        case (nil, nil): return nil
        case (let certificate?, let privateKey?):
            do {
                return try ServerTLSConfiguration(certificateChainFile: certificate, privateKeyFile: privateKey)
            } catch {
                throw CommandFailure("\(error)")
            }
        default: throw CommandFailure("--tls-cert and --tls-key go together")
        }
    }
}

/// `paychan client --tls [--tls-ca FILE] [--tls-server-name NAME] [--tls-pin SHA256]`.
struct ClientTLSOptions: ParsableArguments {
    @Flag(
        name: .customLong("tls"),
        help: """
            Speak TLS to the server and verify it (the system's roots, --tls-ca or --tls-pin); never falls back \
            to plain TCP. Channels opened over TLS reopen only over TLS with the same verified identity.
            """)
    var enabled = false

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp("Trust these PEM CA certificates instead of the system's roots.", valueName: "file"))
    var authorities: String?

    @Option(
        name: .customLong("tls-server-name"),
        help: ArgumentHelp(
            "The name the server's certificate must be for (default: the host of each --server address).",
            valueName: "name"))
    var serverName: String?

    @Option(
        name: .customLong("tls-pin"),
        help: ArgumentHelp(
            """
            Accept only a server whose public key has this SHA-256 (of its SubjectPublicKeyInfo, base64), \
            instead of a CA's signature and the host name: for self-signed certificates.
            """, valueName: "sha256"))
    var pin: String?

    /// The client's TLS, or nil for plain TCP.
    func configuration() throws(CommandFailure) -> ClientTLSConfiguration? {
        guard enabled else {
            for (option, value) in [("--tls-ca", authorities), ("--tls-server-name", serverName), ("--tls-pin", pin)]
            where value != nil {
                throw CommandFailure("\(option) needs --tls")
            }
            return nil
        }
        let trust: ClientTLSConfiguration.Trust
        switch (authorities, pin) {
        case (nil, nil): trust = .systemRoots
        case (let file?, nil):
            guard let pem = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("--tls-ca: cannot read \(file)")
            }
            trust = .certificateAuthorities(pem: Array(pem))
        case (nil, let text?):
            guard let digest = Data(base64Encoded: text), digest.count == 32 else {
                throw CommandFailure("--tls-pin must be a SHA-256 in base64 (44 characters), not \(text)")
            }
            trust = .publicKeySHA256(Array(digest))
        default: throw CommandFailure("--tls-ca and --tls-pin exclude each other (a pin replaces the CA)")
        }
        do { return try ClientTLSConfiguration(trust: trust, serverName: serverName) } catch {
            throw CommandFailure("\(error)")
        }
    }
}
