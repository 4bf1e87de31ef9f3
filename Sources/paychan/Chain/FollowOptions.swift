import ArgumentParser

/// Where a command starts following the chain with its seed wallet (with `--chain bitcoind`;
/// how often it polls is ``ChainOptions``' --bitcoind-poll), and when the wallet's coins may be
/// spent. Shared by `server`, `client` and `wallet balance|send`.
struct FollowOptions: ParsableArguments {
    @Option(
        name: .long,
        help: """
            bitcoind: the height the directory's chain history starts at, used on its first start \
            against the node. Default: the node's tip then (a directory that handed out addresses \
            before is searched with scantxoutset). A birthday more than \(FollowStart.blocksReadAtMost) \
            blocks below the tip is also searched with scantxoutset instead of reading the blocks.
            """)
    var birthday: Int?

    @Option(
        name: .customLong("min-confirmations"),
        help: "Confirmations a received coin needs before it funds a contract or a send (0 to 1000).")
    var minConfirmations: Int = 1

    /// The options, checked.
    func validated() throws(CommandFailure) -> FollowOptions {
        if let birthday, birthday < 0 { throw CommandFailure("--birthday must not be negative, not \(birthday)") }
        guard (0...1_000).contains(minConfirmations) else {
            throw CommandFailure("--min-confirmations must be between 0 and 1000, not \(minConfirmations)")
        }
        return self
    }

}
