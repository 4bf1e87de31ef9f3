import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Glibc

/// `paychan-crash-child`: test infrastructure for the crash tests in
/// `Tests/ChannelManagerTests/Crash`, not a tool for users. The tests start it as a child
/// process, let it stop at a chosen step of a channel's life, kill it with SIGKILL and start it
/// again on the same files to check what survived.
///
/// One process runs a ``ServerManager`` and a ``ClientManager``, each with its own SQLite file
/// and seed file in `--dir`, joined by an ``InMemoryPipe`` whose deliveries are numbered
/// (k = 1, 2, … over both directions) by a tap.
///
/// ```
/// paychan-crash-child --dir D --protocol 1|2
///                     [--pause-before K | --pause-after K | --pause-after-commit N | --pause-after-ack N]
///                     [--lazy-store] [--pipelined] [--recover] [--payments P] [--amount A]
///                     [--channel-value V]
/// ```
///
/// - Without `--recover` (phase "run"): funds the wallet, opens a channel, makes P payments of
///   A sat (5 × 1000 by default), closes.
/// - With `--recover`: opens the same files, prints both stores' channels (`STATE`), starts the
///   managers, connects again (reopening the stored channel if the server holds it open), makes
///   P payments (3 by default), closes and prints the channels again (`FINAL`).
///
/// `--lazy-store` hands writes to SQLite only once someone waits for them (see
/// ``CountingStore``): the worst case for a crash. `--pipelined` makes the payments all at once
/// (each `ACK` as its payment returns) instead of one after the other.
///
/// At the pause point it prints `PAUSED <k> <message type>` (or `PAUSED <n> COMMIT …`,
/// `PAUSED <n> ACK <total>`) and stops every thread with SIGSTOP, waiting for the parent's
/// SIGKILL. Standard output, one
/// line each, written unbuffered:
///
/// ```
/// PAYOUT <server payout script hex>
/// STATE <json>                         recover only: what the stores hold, before starting
/// MSG <k> <type>                       each message, as it reaches the tap
/// REOPENED <true|false> <contract>     recover only
/// OPENED <contract>                    a new channel
/// ACK <total>                          a payment acknowledged: the channel's total paid so far
///                                      (initial payment included), as soon as it returns
/// SETTLED <contract> <settlement hex>
/// SETTLEMENT_TO_SERVER <sat>
/// FINAL <json>                         recover only
/// MESSAGES <m>
/// COMMITS <n>
/// ACKS <a>
/// DONE
/// PAUSED <what>
/// ```
@main
enum PaychanCrashChild {
    struct Options {
        var directory = ""
        var version = ProtocolVersion.v2
        var point = PausePoint.none
        var storeMode = CountingStore.Mode.eager
        var recover = false
        var pipelined = false
        var payments: Int?
        var amount: Int64 = 1000
        var channelValue: Int64 = 200_000
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            let options = try parse(Array(CommandLine.arguments.dropFirst()))
            try await run(options)
            Output.line("DONE")
            exit(0)
        } catch {
            Output.note("paychan-crash-child: \(error)")
            Output.line("FAILED \(error)")
            exit(1)
        }
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return value
        }
        func number(_ flag: String) throws -> Int64 {
            let text = try value(flag)
            guard let number = Int64(text), number > 0 else {
                throw UsageError(description: "\(flag) needs a positive number, not \(text)")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--dir": options.directory = try value(flag)
            case "--protocol":
                switch try value(flag) {
                case "1": options.version = .v1
                case "2": options.version = .v2
                case let other: throw UsageError(description: "unknown protocol \(other)")
                }
            case "--pause-before": options.point = .beforeMessage(Int(try number(flag)))
            case "--pause-after": options.point = .afterMessage(Int(try number(flag)))
            case "--pause-after-commit": options.point = .afterCommit(Int(try number(flag)))
            case "--pause-after-ack": options.point = .afterAck(Int(try number(flag)))
            case "--lazy-store": options.storeMode = .lazy
            case "--recover": options.recover = true
            case "--pipelined": options.pipelined = true
            case "--payments": options.payments = Int(try number(flag))
            case "--amount": options.amount = try number(flag)
            case "--channel-value": options.channelValue = try number(flag)
            default: throw UsageError(description: "unknown argument \(flag)")
            }
        }
        guard !options.directory.isEmpty else { throw UsageError(description: "--dir is required") }
        return options
    }

    static func run(_ options: Options) async throws {
        let points = CrashPoints(options.point)
        let rig = try CrashRig(
            directory: options.directory, version: options.version, points: points, storeMode: options.storeMode)
        Output.line("PAYOUT \(rig.payout.bytes.hex)")
        if options.recover { Output.line("STATE \(try await StoreReport.read(rig).json())") }
        let managers = try await rig.start()
        let channelValue = try Amount(satoshis: options.channelValue)
        try await rig.fund(managers.wallet, atLeast: try Amount(satoshis: Int64(10_000_000)))

        let session = try await rig.connect(managers)
        let opened = try await session.open(value: channelValue)
        if options.recover { Output.line("REOPENED \(opened.resumed) \(opened.contractTxid.displayHex)") }
        if !opened.resumed {
            Output.line("OPENED \(opened.contractTxid.displayHex)")
            points.acknowledged(total: try opened.value.subtracting(opened.valueLeft).satoshis)
        }
        let amount = try Amount(satoshis: options.amount)
        let payments = options.payments ?? (options.recover ? 3 : 5)
        if options.pipelined {
            try await withThrowingTaskGroup(of: PaymentReceipt.self) { group in
                for _ in 0..<payments { group.addTask { try await session.pay(amount) } }
                for try await receipt in group {
                    points.acknowledged(total: try opened.value.subtracting(receipt.valueLeft).satoshis)
                }
            }
        } else {
            for _ in 0..<payments {
                let receipt = try await session.pay(amount)
                points.acknowledged(total: try opened.value.subtracting(receipt.valueLeft).satoshis)
            }
        }
        guard let settlement = try await session.close() else {
            throw UsageError(description: "the conversation ended without a settlement")
        }
        Output.line("SETTLED \(opened.contractTxid.displayHex) \(settlement.serialized.hex)")
        let toServer = settlement.outputs.filter { $0.scriptPubKey == rig.payout }.map(\.value.satoshis)
        Output.line("SETTLEMENT_TO_SERVER \(toServer.reduce(0, +))")

        await managers.client.shutdown()
        await managers.server.shutdown()
        if options.recover { Output.line("FINAL \(try await StoreReport.read(rig).json())") }
        rig.close()
        Output.line("MESSAGES \(points.messages)")
        Output.line("COMMITS \(points.commits)")
        Output.line("ACKS \(points.acks)")
    }
}
