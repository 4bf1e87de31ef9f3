import ArgumentParser
import Foundation

/// `paychan wallet`: the seed wallet of a server or client directory.
struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet",
        abstract: "The directory's seed wallet: receive addresses, balance, and sending out.",
        discussion: """
            The wallet's keys derive from DIR/seed; its coins are kept in DIR/channels.sqlite. \
            It receives on P2WPKH addresses and also holds what channels pay back (a server's \
            settlement output, a client's change or refund, P2PKH of a channel key). Exit \
            status: 0 on success, 1 for bad arguments or local failures, 2 when the chain \
            backend cannot be reached, 4 when the wallet holds too little money.
            """,
        subcommands: [WalletAddressCommand.self, WalletBalanceCommand.self, WalletSendCommand.self])
}

/// Runs a wallet subcommand, reporting a ``CommandFailure`` on standard error as its exit status.
func runWalletCommand(_ name: String, _ body: () async throws(CommandFailure) -> Void) async throws {
    do throws(CommandFailure) {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("paychan wallet \(name): \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}
