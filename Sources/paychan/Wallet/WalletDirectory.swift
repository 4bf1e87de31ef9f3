import BitcoinPrimitives
import ChannelManager
import Foundation
import Logging

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

    /// The wallet of `directory` on the chain the options name, with its store (close both
    /// when done). On `bitcoind` the wallet has followed the node's chain to its tip, unless
    /// another process (a running server or client) owns the store: it follows the chain and
    /// writes what it finds, so a reader (`forWriting` false) answers from what it stored; a
    /// writer is refused (exit status 1) before anything is signed.
    static func open(
        _ directory: DataDirectory, chainOptions: ChainOptions, followOptions: FollowOptions, forWriting: Bool
    ) async throws(CommandFailure) -> (FollowedChain, SQLiteChannelStore) {
        _ = try followOptions.validated()
        let keychain = try directory.keychain()
        let clock = SystemClock()
        let store = try directory.openExistingStore(clock: clock)
        let logger = Logger(label: "paychan.wallet")
        // A store opened for writing observes the payment journal only when another process owns it.
        let ownedElsewhere = !store.usesPaymentJournal
        if ownedElsewhere && forWriting {
            store.close()
            throw CommandFailure(
                "another paychan process (a running server or client) uses \(directory.path): stop it first")
        }
        let connection: ChainConnection
        do { connection = try await chainOptions.open(clock: clock, logger: logger) } catch {
            store.close()
            throw error
        }
        do throws(CommandFailure) {
            let chain = try await FollowedChain.open(
                connection, store: store, keychain: keychain, options: followOptions, logger: logger)
            if ownedElsewhere {
                logger.info("another process owns the store and follows the chain: answering from what it stored")
            } else {
                do { try await chain.catchUp() } catch {
                    await chain.close()
                    throw error
                }
            }
            return (chain, store)
        } catch {
            await connection.close()
            store.close()
            throw error
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
