import ArgumentParser

/// The `paychan` command-line program.
@main
struct Paychan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bitcoin micropayment channels, wire-compatible with bitcoinj's paymentchannel.proto.",
        subcommands: [DemoCommand.self])
}
