/// A `HOST:PORT` argument.
struct HostPort: CustomStringConvertible {
    let host: String
    let port: Int

    init(_ text: String, option: String) throws(CommandFailure) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon != text.startIndex
        else { throw CommandFailure("\(option) must be HOST:PORT (for example 127.0.0.1:4242), not \(text)") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
    }

    var description: String { "\(host):\(port)" }
}
