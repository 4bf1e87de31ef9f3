import BitcoinPrimitives
import ChannelManager
import Foundation

/// What the wallet subcommands share: parsing their options, opening the wallet of a directory,
/// and the exit status of a wallet error.
enum WalletDirectory {
    /// The network named `name`; exit status 1 for an unknown one.
    static func network(_ name: String) throws(CommandFailure) -> Network {
        guard let network = Network(rawValue: name) else {
            throw CommandFailure("unknown network \(name): use regtest, testnet, signet or mainnet")
        }
        return network
    }

    /// The wallet of `directory` over `chain`, with its store (close it when done).
    static func open(_ directory: DataDirectory, chain: any ChainMonitor & FeeEstimator) async throws(CommandFailure)
        -> (SeedWallet, SQLiteChannelStore)
    {
        let keychain = try directory.keychain()
        let store = try directory.openExistingStore(clock: SystemClock())
        do throws(FundingError) {
            let wallet = try await SeedWallet(keychain: keychain, store: store, chain: chain)
            return (wallet, store)
        } catch {
            store.close()
            throw failure(error, doing: "open the wallet")
        }
    }

    /// A wallet error as a one-line failure: exit status 4 for too little money, 2 when the
    /// chain (or the store) cannot be reached, 1 otherwise.
    static func failure(_ error: FundingError, doing what: String) -> CommandFailure {
        switch error.kind {
        case .insufficientFunds: return CommandFailure("cannot \(what): \(error.message)", exitCode: 4)
        case .unavailable: return CommandFailure("cannot \(what): \(error.message)", exitCode: 2)
        case .refused, .broadcastRefused: return CommandFailure("cannot \(what): \(error.message)")
        }
    }
}
