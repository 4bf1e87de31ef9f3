import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import Foundation

/// `paychan wallet address`: a fresh receive address.
struct WalletAddressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address",
        abstract: "Print a fresh P2WPKH receive address of the wallet (never handed out before).")

    @Option(name: .long, help: "The directory of a `paychan server` or `paychan client` (created when absent).")
    var dir: String

    @Option(name: .long, help: "Network the address is for: regtest, testnet, signet or mainnet.")
    var network: String = "regtest"

    @Flag(name: .long, help: "Print one JSON document, {\"address\": ...}.")
    var json = false

    func run() async throws {
        try await runWalletCommand("address") { () async throws(CommandFailure) in
            let network = try WalletDirectory.network(network)
            let directory = DataDirectory(path: dir)
            try directory.create()
            let store = try directory.openStore(clock: SystemClock())
            defer { store.close() }
            let address: Address
            do {
                address = try await SeedWallet.newReceiveAddress(
                    keychain: try directory.keychain(), store: store, network: network)
            } catch {
                throw CommandFailure("cannot reserve a receive key: \(error)")
            }
            if json {
                do { try printJSON(["address": address.string]) } catch {
                    throw CommandFailure("cannot print JSON: \(error)")
                }
            } else {
                print(address.string)
            }
        }
    }
}
