import ArgumentParser
import BitcoinPrimitives
import ChannelManager

/// The chain backend of the wallet subcommands.
struct WalletChainOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Chain backend. `memory`: an in-process regtest chain (the wallet's coins are those it has stored).")
    var chain: String = "memory"

    @Option(name: .long, help: "Network: regtest, testnet, signet or mainnet.")
    var network: String = "regtest"

    /// The network asked for; exit status 1 for an unknown one.
    func parsedNetwork() throws(CommandFailure) -> Network { try WalletDirectory.network(network) }

    /// The backend asked for; exit status 1 for an unknown one.
    func backend() throws(CommandFailure) -> any ChainBackend {
        _ = try parsedNetwork()
        guard chain == "memory" else { throw CommandFailure("unknown chain backend \(chain); only `memory` exists") }
        return MemoryChain(clock: SystemClock(), acceptsUnknownInputs: true)
    }
}
