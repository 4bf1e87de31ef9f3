import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import Foundation

/// `paychan wallet send`: pays an address from the wallet.
struct WalletSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an amount (or everything) from the wallet to an address, and broadcast it.",
        discussion: """
            The address must be one of --network; it is checked before anything is signed. The \
            transaction is signed, every input verified, its inputs recorded as spent, then \
            broadcast; a broadcast the chain refuses releases them.
            """)

    @Option(name: .long, help: "The directory of a `paychan server` or `paychan client`.")
    var dir: String

    @OptionGroup(title: "Chain")
    var chainOptions: ChainOptions

    @OptionGroup(title: "Chain following (bitcoind) and the wallet")
    var followOptions: FollowOptions

    @Option(name: .long, help: "The address to pay.")
    var to: String

    @Option(name: .long, help: "Satoshis to send.")
    var amount: Int64?

    @Flag(name: .long, help: "Send everything the wallet can spend now, less the fee.")
    var all = false

    @Option(name: .long, help: "Fee rate in satoshis per virtual byte (default: the chain's estimate).")
    var feeRate: Double?

    @Flag(name: .long, help: "Print one JSON document: {\"txid\", \"hex\", \"fee\"}.")
    var json = false

    func run() async throws {
        try await runWalletCommand("send") { () async throws(CommandFailure) in
            let (script, sendAmount, rate) = try parsedArguments()
            let (chain, store) = try await WalletDirectory.open(
                DataDirectory(path: dir), chainOptions: chainOptions, followOptions: followOptions,
                forWriting: true)
            let sent: SentTransaction
            do throws(FundingError) {
                sent = try await chain.wallet.send(
                    to: script, amount: sendAmount, feeRate: rate, broadcaster: chain.backend)
            } catch {
                await chain.close()
                store.close()
                throw WalletDirectory.failure(error, doing: "send")
            }
            await chain.close()
            store.close()
            let txid = sent.transaction.txid.displayHex
            let hex = sent.transaction.serialized.hex
            if json {
                do { try printJSON(SentOutcome(txid: txid, hex: hex, fee: sent.fee.satoshis)) } catch {
                    throw CommandFailure("cannot print JSON: \(error)")
                }
            } else {
                print("sent \(txid), fee \(sent.fee)")
                print(hex)
            }
        }
    }

    /// The destination, amount and fee rate, checked before the wallet is opened.
    private func parsedArguments() throws(CommandFailure) -> (Script, SendAmount, FeeRate?) {
        let network = try chainOptions.validatedNetwork()
        _ = try chainOptions.kind()
        let address: Address
        do { address = try Address(to, network: network) } catch {
            throw CommandFailure("--to \(to) is not an address of \(network): \(error)")
        }
        let sendAmount: SendAmount
        switch (amount, all) {
        case (nil, true): sendAmount = .all
        case (let satoshis?, false):
            guard let value = try? Amount(satoshis: satoshis), value > .zero else {
                throw CommandFailure("--amount must be a positive number of satoshis, not \(satoshis)")
            }
            sendAmount = .exactly(value)
        default: throw CommandFailure("give exactly one of --amount SATS and --all")
        }
        var rate: FeeRate?
        if let feeRate {
            guard feeRate.isFinite, feeRate >= 0.001, feeRate <= 100_000,
                let parsed = try? FeeRate(satoshisPerKilovirtualByte: Int64((feeRate * 1_000).rounded()))
            else {
                throw CommandFailure("--fee-rate must be between 0.001 and 100000 satoshis per virtual byte")
            }
            rate = parsed
        }
        return (address.scriptPubKey, sendAmount, rate)
    }
}

/// What `paychan wallet send --json` prints.
struct SentOutcome: Encodable {
    let txid: String
    let hex: String
    let fee: Int64
}
