import Foundation

/// How the client proves itself to the node.
public enum RPCCredentials: Sendable, Hashable {
    /// The cookie file the node writes at start (`DATADIR[/NETWORK]/.cookie`, `USER:PASSWORD`).
    /// It changes each time the node restarts, so it is read again when the node answers 401.
    case cookieFile(String)
    /// A fixed `-rpcuser`/`-rpcpassword` (or `-rpcauth`) pair.
    case userPassword(user: String, password: String)

    /// The `Authorization` header value these credentials give now (a cookie file is read).
    /// - Throws: ``RPCError/unavailable(_:)`` when the cookie file is missing (the node is not
    ///   running, or is starting) or malformed.
    func authorization() throws(RPCError) -> String {
        let pair: String
        switch self {
        case .userPassword(let user, let password):
            pair = user + ":" + password
        case .cookieFile(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unavailable("cannot read the cookie file \(path) (is bitcoind running?)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw .unavailable("the cookie file \(path) is not text")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.contains(":"), !trimmed.contains("\n") else {
                throw .unavailable("the cookie file \(path) does not hold USER:PASSWORD")
            }
            pair = trimmed
        }
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }

    /// True for a cookie file (worth reading again after a 401).
    var isCookie: Bool {
        if case .cookieFile = self { return true }
        return false
    }
}
