import ChannelManager
import PaychanBitcoinCore

/// `paychan client --funding`: where a new channel's contract is funded from, the seed wallet
/// (`seed`, the default) or the Bitcoin Core node's own wallet (`node-wallet`, the default
/// wallet, or `node-wallet=NAME`; `--chain bitcoind` only).
enum FundingChoice: Equatable {
    case seed
    case nodeWallet(String?)

    /// Parses the option's text.
    init(_ text: String) throws(CommandFailure) {
        switch text {
        case "seed": self = .seed
        case "node-wallet": self = .nodeWallet(nil)
        case let named where named.hasPrefix("node-wallet=") && named.count > "node-wallet=".count:
            self = .nodeWallet(String(named.dropFirst("node-wallet=".count)))
        default: throw CommandFailure("--funding must be seed, node-wallet or node-wallet=NAME, not \(text)")
        }
    }

    /// The funder: `seedWallet`, or the node's wallet on `chain`'s connections.
    func funder(seedWallet: any ContractFunder, chain: ChainConnection) throws(CommandFailure) -> any ContractFunder {
        guard case .nodeWallet(let name) = self else { return seedWallet }
        guard let node = chain.node else { throw CommandFailure("--funding node-wallet needs --chain bitcoind") }
        do {
            return NodeWalletFunder(rpc: try node.rpc.wallet(name), network: chain.network, chain: node)
        } catch { throw CommandFailure("--funding: \(error)") }
    }
}
