import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import Histogram
import Synchronization

/// The sizes of one load run.
struct LoadPlan: Sendable {
    /// Connections opened, each with its own channel.
    var connections: Int
    /// How many of them pay (the first ones opened); the rest stay open and idle.
    var paying: Int
    /// How long the paying phase lasts.
    var seconds: Double
    /// Satoshis per payment.
    var amount: Amount
    /// Value of every channel.
    var channelValue: Amount
    /// Channels opened at once.
    var wave: Int
}

/// One load run: a `paychan server` child, `connections` loopback connections each with an
/// open channel, `paying` of them paying one payment after another (each awaiting its ack) for
/// `seconds`, while the rest stay idle. Errors are counted, never hidden: a failed open, a failed
/// payment, a connection that ended on its own, or a server store that holds less (or more) than
/// a channel's client saw acknowledged.
struct LoadRun: Sendable {
    let plan: LoadPlan
    let directory: String
    let progress: @Sendable (String) -> Void

    func run() async throws -> LoadReport {
        let server = try await ServerChild.start(directory: directory + "/server")
        var report = LoadReport(plan: plan)
        report.serverMemoryStart = server.memory()
        let coin = try plan.channelValue.adding(Amount(satoshis: 100_000))
        let clients: LoadClients
        do {
            clients = try await LoadClients(
                directory: directory, host: "127.0.0.1", port: server.port, coins: plan.connections, coinValue: coin,
                threads: 1)
        } catch {
            _ = await server.stop()
            throw error
        }
        let errors = LoadErrors()
        let opening = ContinuousClock.now
        let sessions = await openAll(clients, errors: errors)
        report.openSeconds = seconds(since: opening)
        report.channelsOpen = sessions.count
        report.serverMemoryOpen = server.memory()
        progress(
            "\(sessions.count) channels open in \(String(format: "%.1f", report.openSeconds)) s; paying on "
                + "\(min(plan.paying, sessions.count)) for \(plan.seconds) s")

        let payers = Array(sessions.prefix(plan.paying))
        let outcome = await pay(payers, errors: errors)
        report.payments = outcome.payments
        report.payingSeconds = outcome.seconds
        report.latency = LoadLatency(outcome.histogram)
        let dropped = sessions.filter { $0.session.isEnded }.count
        if dropped > 0 { errors.add("\(dropped) connections ended during the run") }
        report.serverMemoryEnd = server.memory()

        await clients.shutdown()
        let status = await server.stop()
        if status != 0 { errors.add("paychan server exited with status \(status)") }
        await checkServerStore(payers: payers, outcome: outcome, errors: errors)
        report.errors = errors.count
        report.errorSamples = errors.samples
        return report
    }

    /// Opens every connection and its channel, `wave` at a time; returns the sessions opened in
    /// connection order (payers first).
    private func openAll(_ clients: LoadClients, errors: LoadErrors) async -> [LoadSession] {
        var sessions: [LoadSession] = []
        var next = 0
        while next < plan.connections {
            let range = next..<min(plan.connections, next + plan.wave)
            let opened = await withTaskGroup(of: LoadSession?.self) { group in
                for index in range {
                    group.addTask {
                        do {
                            let session = try await clients.open(index, value: plan.channelValue)
                            guard let record = session.record else {
                                throw LoadFailure("an opened channel has no record")
                            }
                            return LoadSession(
                                index: index, session: session, contractTxid: record.contractTxid,
                                paidAtOpen: record.paidToServer)
                        } catch {
                            errors.add("open \(index): \(error)")
                            return nil
                        }
                    }
                }
                var opened: [LoadSession] = []
                for await session in group { if let session { opened.append(session) } }
                return opened
            }
            sessions += opened.sorted { $0.index < $1.index }
            next = range.upperBound
            if next % 1000 == 0 || next == plan.connections { progress("opened \(sessions.count)/\(next)") }
        }
        return sessions
    }

    private struct PayOutcome {
        var payments = 0
        var seconds = 0.0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        /// Satoshis the client saw acknowledged, by connection index.
        var acked: [Int: Amount] = [:]
        /// What each client had signed away in all at the end, by connection index.
        var signed: [Int: Amount] = [:]
    }

    /// Every payer pays, one payment after another, until the deadline.
    private func pay(_ payers: [LoadSession], errors: LoadErrors) async -> PayOutcome {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(plan.seconds * 1000))
        var outcome = await withTaskGroup(of: PayOutcome.self) { group in
            for payer in payers {
                group.addTask {
                    var mine = PayOutcome()
                    var acked = Amount.zero
                    while ContinuousClock.now < deadline {
                        let sent = ContinuousClock.now
                        do {
                            let receipt = try await payer.session.pay(plan.amount)
                            acked = (try? acked.adding(receipt.amount)) ?? acked
                        } catch {
                            errors.add("pay on \(payer.index): \(error)")
                            break
                        }
                        let elapsed = ContinuousClock.now - sent
                        let micros =
                            elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
                        _ = mine.histogram.record(UInt64(max(1, micros)))
                        mine.payments += 1
                    }
                    mine.acked[payer.index] = acked
                    mine.signed[payer.index] = payer.session.record?.paidToServer
                    return mine
                }
            }
            var total = PayOutcome()
            for await part in group {
                total.payments += part.payments
                total.histogram.add(part.histogram)
                total.acked.merge(part.acked) { first, _ in first }
                total.signed.merge(part.signed) { first, _ in first }
            }
            return total
        }
        outcome.seconds = seconds(since: start)
        return outcome
    }

    /// After the server stopped: its store must hold, for every paying channel, exactly the
    /// initial payment plus what its client saw acknowledged (nothing is in flight by then).
    private func checkServerStore(payers: [LoadSession], outcome: PayOutcome, errors: LoadErrors) async {
        let store: SQLiteChannelStore
        do {
            store = try SQLiteChannelStore(
                path: directory + "/server/channels.sqlite", clock: SystemClock(), readOnly: true)
        } catch {
            errors.add("cannot open the server's store: \(error)")
            return
        }
        defer { store.close() }
        for payer in payers {
            guard let signed = outcome.signed[payer.index] else {
                errors.add("channel \(payer.index) has no client record")
                continue
            }
            let stored: ServerChannelRecord?
            do { stored = try await store.serverChannel(contractTxid: payer.contractTxid) } catch {
                errors.add("channel \(payer.index): the server's store cannot be read: \(error)")
                continue
            }
            guard let stored else {
                errors.add("channel \(payer.index) missing from the server's store")
                continue
            }
            let expectedAcked = outcome.acked[payer.index] ?? .zero
            // The server holds the client's last signature: what the client signed away.
            if stored.bestValueToServer != signed {
                errors.add("channel \(payer.index): server stored \(stored.bestValueToServer), client signed \(signed)")
            }
            // Nothing was in flight at the end: the client signed the opening payment and exactly
            // what it saw acknowledged.
            if (try? payer.paidAtOpen.adding(expectedAcked)) != signed {
                errors.add(
                    "channel \(payer.index): \(payer.paidAtOpen) at open + \(expectedAcked) acknowledged, "
                        + "but \(signed) signed")
            }
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// A connection of the run and its number.
struct LoadSession: Sendable {
    let index: Int
    let session: ClientSession
    /// Its channel's contract.
    let contractTxid: Hash256
    /// What the client had paid when the channel opened (the server's minimum payment).
    let paidAtOpen: Amount
}

/// Errors of a run: counted, with the first few kept to print.
final class LoadErrors: Sendable {
    private let state = Mutex<(count: Int, samples: [String])>((0, []))

    func add(_ message: String) {
        state.withLock {
            $0.count += 1
            if $0.samples.count < 10 { $0.samples.append(message) }
        }
    }

    var count: Int { state.withLock { $0.count } }
    var samples: [String] { state.withLock { $0.samples } }
}
