import ArgumentParser
import BitcoinPrimitives
import ChannelStateMachine

/// `paychan demo`: opens a channel between an in-process client and server, pays, and settles.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a client and a server channel machine in memory: open, pay, close, settle.",
        discussion: """
            Keys are derived (BIP32, hardened) from fixed demo seeds; the contract is funded from a \
            made-up segwit (P2WPKH) output. Every message passes through the wire codec, every \
            transaction input is checked by the script verifier, and the run prints a summary.
            """)

    @Option(name: .long, help: "Protocol version: 1 (2-of-2 multisig) or 2 (CLTV P2SH).")
    var `protocol`: Int32 = 2

    @Option(name: .long, help: "Number of payments after the initial one.")
    var payments: Int = 1000

    @Option(name: .long, help: "Satoshis per payment.")
    var amount: Int64 = 1000

    @Option(name: .long, help: "Channel value in satoshis.")
    var channelValue: Int64 = 2_000_000

    func validate() throws {
        guard `protocol` == 1 || `protocol` == 2 else { throw ValidationError("--protocol must be 1 or 2") }
        guard payments >= 0 else { throw ValidationError("--payments must not be negative") }
        guard amount > 0 else { throw ValidationError("--amount must be positive") }
    }

    func run() throws {
        guard let version = ProtocolVersion(rawValue: `protocol`),
            let amount = Amount(exactly: amount), let value = Amount(exactly: channelValue)
        else { throw ValidationError("amounts must be between 0 and 21e6 BTC") }
        var demo = try InMemoryDemo(version: version, channelValue: value)
        let summary = try demo.run(payments: payments, amount: amount)
        print(summary.text)
    }
}
