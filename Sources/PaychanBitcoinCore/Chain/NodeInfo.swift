import BitcoinPrimitives

/// What the node says of itself at start.
public struct NodeInfo: Sendable, Hashable {
    /// Core's chain name (`main`, `test`, `testnet4`, `signet`, `regtest`).
    public var chain: String
    /// The network that chain is.
    public var network: Network
    /// The height of the node's best block.
    public var blocks: Int64
    /// True while the node is still downloading the chain (`initialblockdownload`).
    public var initialBlockDownload: Bool
    /// The node's user agent, for example `/Satoshi:28.1.0/`.
    public var subversion: String
}

/// Why the backend would not start.
public enum BitcoinCoreStartError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The node could not be reached (or kept failing) for as long as we waited.
    case unreachable(String)
    /// The node refused our credentials.
    case unauthorized(String)
    /// The node follows another chain than the one configured.
    case wrongNetwork(expected: Network, nodeChain: String)

    /// What went wrong, and what to do about it.
    public var description: String {
        switch self {
        case .unreachable(let reason): return "cannot reach bitcoind: \(reason)"
        case .unauthorized(let reason): return "bitcoind refused our credentials: \(reason)"
        case .wrongNetwork(let expected, let chain):
            let names = ["mainnet": "main", "testnet": "test or testnet4", "signet": "signet", "regtest": "regtest"]
            return
                "bitcoind runs the chain \"\(chain)\", but the network is \(expected) (its node reports \"\(names[expected.rawValue] ?? expected.rawValue)\"): start bitcoind with the right -chain, or pass the right --network"
        }
    }
}
