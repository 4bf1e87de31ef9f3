import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import Foundation

/// `paychan wallet balance`: what the wallet holds, and what channels hold for it.
struct WalletBalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Print the wallet's confirmed and unconfirmed coins and what the client's channels still hold for it."
    )

    @Option(name: .long, help: "The directory of a `paychan server` or `paychan client`.")
    var dir: String

    @OptionGroup(title: "Chain")
    var chainOptions: ChainOptions

    @OptionGroup(title: "Chain following (bitcoind) and the wallet")
    var followOptions: FollowOptions

    @Flag(
        name: .long,
        help: """
            Print one JSON document: {\"confirmed\", \"unconfirmed\", \"locked_in_channels\", \"immature\"} in \
            satoshis (immature: coinbase outputs under 100 confirmations, also counted in unconfirmed).
            """)
    var json = false

    func run() async throws {
        try await runWalletCommand("balance") { () async throws(CommandFailure) in
            let (chain, store) = try await WalletDirectory.open(
                DataDirectory(path: dir), chainOptions: chainOptions, followOptions: followOptions,
                forWriting: false)
            let balance: WalletBalance
            do throws(FundingError) { balance = try await chain.wallet.balance() } catch {
                await chain.close()
                store.close()
                throw WalletDirectory.failure(error, doing: "read the balance")
            }
            await chain.close()
            store.close()
            if json {
                do {
                    try printJSON([
                        "confirmed": balance.confirmed.satoshis, "unconfirmed": balance.unconfirmed.satoshis,
                        "locked_in_channels": balance.lockedInChannels.satoshis,
                        "immature": balance.immature.satoshis,
                    ])
                } catch {
                    throw CommandFailure("cannot print JSON: \(error)")
                }
            } else {
                print("confirmed \(balance.confirmed)")
                print("unconfirmed \(balance.unconfirmed)")
                print("locked in channels \(balance.lockedInChannels)")
                print("immature (in unconfirmed) \(balance.immature)")
            }
        }
    }
}
