import ArgumentParser
import BitcoinPrimitives
import ChannelStateMachine

/// The time terms a server grants: the window a channel's contract is locked for, and how long
/// before its expiry the server settles it (it must settle before the client's refund unlocks).
struct ChannelTermsOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Shortest time window granted, in seconds: a client asking for less gets this (at least 7200).",
            valueName: "seconds"))
    var minTimeWindow: UInt64 = 4 * 3600

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Longest time window granted, in seconds: a client asking for more gets this.", valueName: "seconds"))
    var maxTimeWindow: UInt64 = 7 * 86400

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds before a channel's expiry at which the server settles it (below --min-time-window).",
            valueName: "seconds"))
    var settleMargin: UInt64 = 2 * 3600

    /// The server's channel terms with these times, checked as the server manager will check them.
    func terms(payoutScript: Script, minChannelValue: Amount, minPayment: Amount) throws(CommandFailure)
        -> ServerChannelConfig
    {
        let terms = ServerChannelConfig(
            payoutScript: payoutScript, minChannelValue: minChannelValue, minPayment: minPayment,
            minTimeWindow: minTimeWindow, maxTimeWindow: maxTimeWindow, expirySettlementMargin: settleMargin)
        do { try terms.validate() } catch { throw CommandFailure("invalid channel terms: \(error.explanation)") }
        return terms
    }
}
