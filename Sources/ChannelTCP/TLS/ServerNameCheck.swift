import NIOSSL

/// The host name check of a CA-verified server, stricter than NIOSSL's own (which also accepts
/// a certificate naming the IP address connected to, whatever name was asked for): when a DNS
/// name is expected, the leaf certificate must list it among its subject alternative DNS names,
/// exactly (ASCII case aside) or by a wildcard for its first label (`*.example.com`). The
/// subject's common name is not looked at.
enum ServerNameCheck {
    /// Whether `certificate` names `hostname`.
    static func certificate(_ certificate: NIOSSLCertificate, names hostname: String) -> Bool {
        let wanted = normalized(hostname)
        guard !wanted.isEmpty else { return false }
        for name in certificate._subjectAlternativeNames() where name.nameType == .dnsName {
            let listed = normalized(String(decoding: Array(name.contents), as: UTF8.self))
            if matches(listed, wanted) { return true }
        }
        return false
    }

    private static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    private static func matches(_ listed: String, _ wanted: String) -> Bool {
        if listed == wanted { return true }
        // A wildcard stands for exactly one whole label, the first, and never for a bare
        // registrable domain (`*.com`).
        guard listed.hasPrefix("*."), listed.dropFirst(2).contains("."),
            let dot = wanted.firstIndex(of: "."), wanted.startIndex < dot
        else { return false }
        return listed.dropFirst(1) == wanted[dot...]
    }
}
