import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates made at test time for TLS tests: a CA and server certificates it signs (valid
/// or expired), a self-signed server certificate, and an unrelated CA. Every key is a fresh
/// P-256 key that exists only in this process (and in the PEM files of ``write(to:)``, in the
/// test's temporary directory).
public struct TestCertificates: Sendable {
    /// A certificate and its private key, as PEM text.
    public struct Issued: Sendable {
        /// The certificate (PEM); for a server issued by a CA, the leaf alone.
        public let certificatePEM: String
        /// The private key (PKCS#8 PEM).
        public let privateKeyPEM: String
        /// SHA-256 of the certificate's SubjectPublicKeyInfo (DER), what a client pins.
        public let publicKeySHA256: [UInt8]
    }

    /// The names every server certificate is valid for.
    public static let serverNames = ["localhost", "pay.test"]
    /// The IP address every server certificate is valid for.
    public static let serverAddress: [UInt8] = [127, 0, 0, 1]

    /// The CA that issues ``server`` and ``expiredServer``.
    public let authority: Issued
    /// A CA that issued nothing here: a client trusting only it refuses every server below.
    public let otherAuthority: Issued
    /// Valid from an hour ago for a day, for ``serverNames`` and ``serverAddress``, issued by
    /// ``authority``.
    public let server: Issued
    /// Issued by ``authority`` for the same names, but valid only until a day ago.
    public let expiredServer: Issued
    /// Self-signed (no CA), for the same names: only a pin makes a client accept it.
    public let selfSignedServer: Issued

    /// Makes them all (a few milliseconds).
    public init() throws {
        let now = Date()
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName { CommonName("Paychan test CA") }
        authority = try Self.issue(
            key: authorityKey, subject: authorityName, issuerName: authorityName, issuerKey: authorityKey,
            validity: now.addingTimeInterval(-3600)...now.addingTimeInterval(86_400), authority: true)
        let otherKey = P256.Signing.PrivateKey()
        let otherName = try DistinguishedName { CommonName("Paychan other test CA") }
        otherAuthority = try Self.issue(
            key: otherKey, subject: otherName, issuerName: otherName, issuerKey: otherKey,
            validity: now.addingTimeInterval(-3600)...now.addingTimeInterval(86_400), authority: true)
        let serverName = try DistinguishedName { CommonName("localhost") }
        server = try Self.issue(
            key: P256.Signing.PrivateKey(), subject: serverName, issuerName: authorityName, issuerKey: authorityKey,
            validity: now.addingTimeInterval(-3600)...now.addingTimeInterval(86_400), authority: false)
        expiredServer = try Self.issue(
            key: P256.Signing.PrivateKey(), subject: serverName, issuerName: authorityName, issuerKey: authorityKey,
            validity: now.addingTimeInterval(-30 * 86_400)...now.addingTimeInterval(-86_400), authority: false)
        let selfKey = P256.Signing.PrivateKey()
        selfSignedServer = try Self.issue(
            key: selfKey, subject: serverName, issuerName: serverName, issuerKey: selfKey,
            validity: now.addingTimeInterval(-3600)...now.addingTimeInterval(86_400), authority: false)
    }

    private static func issue(
        key: P256.Signing.PrivateKey, subject: DistinguishedName, issuerName: DistinguishedName,
        issuerKey: P256.Signing.PrivateKey, validity: ClosedRange<Date>, authority: Bool
    ) throws -> Issued {
        let extensions = try Certificate.Extensions {
            if authority {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            } else {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(
                    serverNames.map { GeneralName.dnsName($0) }
                        + [GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice(serverAddress)))])
            }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound, issuer: issuerName,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(issuerKey))
        let spki = key.publicKey.derRepresentation
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation,
            publicKeySHA256: Array(SHA256.hash(data: spki)))
    }

    /// Files of one certificate and key, written by ``write(to:)``.
    public struct Files: Sendable {
        /// The certificate's PEM file.
        public let certificate: String
        /// The private key's PEM file (mode 0600).
        public let privateKey: String
    }

    /// Writes each certificate and key as PEM files into `directory` (which must exist):
    /// `NAME.crt` and `NAME.key` for `ca`, `other-ca`, `server`, `expired` and `self-signed`.
    @discardableResult
    public func write(to directory: String) throws -> [String: Files] {
        let all = [
            "ca": authority, "other-ca": otherAuthority, "server": server, "expired": expiredServer,
            "self-signed": selfSignedServer,
        ]
        var files: [String: Files] = [:]
        for (name, issued) in all {
            let written = Files(certificate: "\(directory)/\(name).crt", privateKey: "\(directory)/\(name).key")
            try Data(issued.certificatePEM.utf8).write(to: URL(fileURLWithPath: written.certificate))
            guard
                FileManager.default.createFile(
                    atPath: written.privateKey, contents: Data(issued.privateKeyPEM.utf8),
                    attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
            files[name] = written
        }
        return files
    }
}
