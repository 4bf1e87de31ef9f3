import ArgumentParser

/// The `paychan` command-line program.
@main
struct Paychan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bitcoin micropayment channels, wire-compatible with bitcoinj's paymentchannel.proto.",
        subcommands: [
            DemoCommand.self, ServerCommand.self, ClientCommand.self, ChannelsCommand.self, CloseCommand.self,
            BenchCommand.self, LoadCommand.self, WalletCommand.self,
        ])
}
