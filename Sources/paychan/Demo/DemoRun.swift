import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation

/// The steps of `paychan demo`: set up a ``DemoStack``, open a channel over TCP, pay, close,
/// mine the settlement, and report.
enum DemoRun {
    /// The server's minimum channel value and minimum payment (bitcoinj's example server's).
    static let serverMinimumChannel: Int64 = 100_000
    static let initialPayment: Int64 = 1000
    /// Sent to the wallet beyond the channel value, for the contract's fee.
    static let fundingMargin: Int64 = 100_000

    struct Options {
        var version: ProtocolVersion
        var channelValue: Amount
        var payments: Int
        var amount: Amount
        var inFlight: Int
        /// Where to keep the stores and seeds; nil for a temporary directory removed afterwards.
        var directory: String?
    }

    static func run(_ options: Options) async throws(CommandFailure) -> DemoReport {
        let temporary = options.directory == nil
        let directory =
            options.directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("paychan-demo-\(UUID().uuidString)").path
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }
        let funding = (try? options.channelValue.adding(Amount(satoshis: fundingMargin))) ?? options.channelValue
        let stack = try await DemoStack(directory: directory, version: options.version, funding: funding)
        do {
            let report = try await exercise(stack, options, directory: temporary ? nil : directory)
            await stack.shutdown()
            return report
        } catch {
            await stack.shutdown()
            throw error
        }
    }

    private static func exercise(_ stack: DemoStack, _ options: Options, directory: String?)
        async throws(CommandFailure) -> DemoReport
    {
        let session: ClientSession
        do {
            session = try await ChannelTCPClient.connect(
                host: DemoStack.host, port: stack.port, clientManager: stack.client)
        } catch { throw CommandFailure("\(error)") }
        let opened: OpenedChannel
        do { opened = try await session.open(value: options.channelValue) } catch {
            throw CommandFailure("opening the channel: \(error)")
        }

        let start = ContinuousClock.now
        try await pay(session, options)
        let elapsed = ContinuousClock.now - start

        let closed: Transaction?
        do { closed = try await session.close() } catch { throw CommandFailure("closing the channel: \(error)") }
        await session.waitUntilEnded()
        let txid = opened.contractTxid
        let serverRecord = try? await stack.serverStore.serverChannel(contractTxid: txid)
        guard let settlement = closed ?? serverRecord?.settlement else {
            throw CommandFailure("the server sent no settlement (its share may not pay the fee)")
        }
        stack.chain.mine()
        guard case .confirmed = stack.chain.transactionStatus(of: settlement.txid) else {
            throw CommandFailure("the settlement \(settlement.txid.displayHex) was not mined")
        }
        guard let clientRecord = try? await stack.clientStore.clientChannel(contractTxid: txid) else {
            throw CommandFailure("the client store lost channel \(txid.displayHex)")
        }
        let txs = try await DemoTransactions.list(
            contract: clientRecord.contract, refund: clientRecord.refund, settlement: settlement, stack: stack)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return DemoReport(
            summary: DemoReport.Summary(
                protocolVersion: Int(options.version.rawValue), port: stack.port, channelValue: opened.value.satoshis,
                payments: options.payments, amount: options.amount.satoshis,
                paidToServer: clientRecord.paidToServer.satoshis, clientChange: clientRecord.valueLeft.satoshis,
                contractTxid: txid.displayHex, settlementTxid: settlement.txid.displayHex,
                settlementFee: stack.chain.record(settlement.txid)?.fee?.satoshis,
                seconds: seconds, paymentsPerSecond: seconds > 0 ? Double(options.payments) / seconds : nil,
                inFlight: options.inFlight, directory: directory),
            txs: txs)
    }

    /// Makes `options.payments` payments, at most `options.inFlight` unacknowledged at a time.
    private static func pay(_ session: ClientSession, _ options: Options) async throws(CommandFailure) {
        let (amount, count) = (options.amount, options.payments)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var started = 0
                func startNext() {
                    let index = started
                    started += 1
                    group.addTask { try await session.pay(amount, info: Array("order-\(index)".utf8)) }
                }
                while started < min(count, options.inFlight) { startNext() }
                while try await group.next() != nil {
                    if started < count { startNext() }
                }
            }
        } catch { throw CommandFailure("payment failed: \(error)") }
    }
}
