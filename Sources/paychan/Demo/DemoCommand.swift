import ArgumentParser
import BitcoinPrimitives
import ChannelStateMachine
import Foundation

/// `paychan demo`: a server manager and a client manager in one process, talking over TCP on
/// 127.0.0.1: open a channel, pay, close, mine the settlement.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open a channel over TCP on 127.0.0.1 between an in-process client and server, pay, close, settle.",
        discussion: """
            A server manager listens on a free port of 127.0.0.1 (ChannelTCP); a client manager \
            connects to it. Each has its own SQLite channel store and seed file (in DIR/server and \
            DIR/client; a temporary directory, removed afterwards, unless --dir is given). An \
            in-process regtest chain (MemoryChain) funds the client's segwit wallet, which funds \
            the contract; the channel is opened, paid --payments times --amount satoshis (the first \
            --in-flight at once: the client stores each lower balance, and the server each \
            signature, before anything is acknowledged), closed, and the settlement is mined. \
            The chain checks every input script of what it is given. A --dir used before keeps \
            its wallet, whose coins this new chain never saw: the chain accepts such inputs \
            unchecked.

            Prints a summary (channel value, what the server was paid, the settlement and its \
            fee, payments per second); with --json one JSON document {"summary": {...}, "txs": \
            [...]} listing the contract, the client's refund and the settlement as {"name", "hex", \
            "spent": [{"script_pubkey", "amount"}, ...]} with one entry per input, in input order.
            """)

    @Option(name: .long, help: "Protocol version: 1 (2-of-2 multisig contract) or 2 (CLTV P2SH contract).")
    var `protocol`: Int32 = 2

    @Option(name: .long, help: "Number of payments after the initial one (the server's minimum, 1000 sat).")
    var payments: Int = 1000

    @Option(name: .long, help: "Satoshis per payment.")
    var amount: Int64 = 10

    @Option(name: .long, help: "Channel value in satoshis (at least the server's minimum, 100000).")
    var channelValue: Int64 = 1_000_000

    @Option(name: .long, help: "Payments sent before waiting for acknowledgements (1: one at a time).")
    var inFlight: Int = 64

    @Option(name: .long, help: "Keep the stores and seeds in this directory (DIR/server, DIR/client).")
    var dir: String?

    @Flag(name: .long, help: "Print one JSON document instead of the summary.")
    var json = false

    func validate() throws {
        guard `protocol` == 1 || `protocol` == 2 else { throw ValidationError("--protocol must be 1 or 2") }
        guard payments >= 0 else { throw ValidationError("--payments must not be negative") }
        guard amount > 0 else { throw ValidationError("--amount must be positive") }
        guard inFlight > 0 else { throw ValidationError("--in-flight must be positive") }
        guard channelValue >= DemoRun.serverMinimumChannel else {
            throw ValidationError("--channel-value must be at least \(DemoRun.serverMinimumChannel)")
        }
        let (total, overflow) = Int64(payments).multipliedReportingOverflow(by: amount)
        guard !overflow, total <= channelValue - DemoRun.initialPayment else {
            throw ValidationError(
                "--payments × --amount must fit in --channel-value less the initial payment "
                    + "(\(channelValue - DemoRun.initialPayment) sat)")
        }
    }

    func run() async throws {
        guard let version = ProtocolVersion(rawValue: `protocol`),
            let amount = Amount(exactly: amount), let value = Amount(exactly: channelValue)
        else { throw ValidationError("amounts must be between 0 and 21e6 BTC") }
        let report = try await DemoRun.run(
            DemoRun.Options(
                version: version, channelValue: value, payments: payments, amount: amount, inFlight: inFlight,
                directory: dir))
        if json { try printJSON(report) } else { print(report.text) }
    }
}
