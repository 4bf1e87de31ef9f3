import BitcoinPrimitives
import Foundation

/// Which process a soak SIGKILLs.
enum SoakVictim: String, Sendable {
    case server, client
}

/// The crash-kill soak: runs the real `paychan client` again and again against a real
/// `paychan server`, SIGKILLs one of them (`victim`) at random moments (after random delays,
/// or a random number of progress lines, so that opens, payments and closes are all hit),
/// restarts the server on the same directory and port, and lets the next client run reopen
/// and continue. At the end it closes every channel and checks the settlements in the
/// server's transaction log against what the client saw acknowledged and what it signed.
final class CrashKillSoak {
    /// When a run is killed.
    enum KillPlan {
        case none
        case afterDelay(TimeInterval)
        /// After `lines` progress lines, then `extra` seconds.
        case afterLines(Int, extra: TimeInterval)
    }

    struct Summary: CustomStringConvertible {
        let victim: SoakVictim
        let seed: UInt64
        let ledger: SoakLedger
        let runs: Int
        let runsNotKilled: Int
        let serverStarts: Int
        let closeRuns: Int
        let operatorCloses: Int
        let serverChannels: Int
        let outcome: SoakVerification.Outcome
        let elapsed: TimeInterval

        var description: String {
            let phases = SoakPhase.allCases.map { "\($0.rawValue) \(ledger.kills[$0] ?? 0)" }.joined(separator: ", ")
            return """
                crash-kill soak (\(victim.rawValue) killed), seed \(seed): \(ledger.totalKills) kills (\(phases)); \
                \(runs) client runs (\(runsNotKilled) not killed), \(serverStarts) server starts; \
                \(ledger.paymentsAcknowledged) payments acknowledged; \(ledger.channelsOpened) channels opened, \
                \(ledger.reopens) reopens, \(ledger.closesAsked) closes asked; server holds \(serverChannels) \
                channels, all settled (\(closeRuns) closing runs and \(operatorCloses) operator closes at the end); \
                client: \(outcome.settledOnBoth) settled, \(outcome.settledUnseenByClient) settled unseen \
                (killed before CLOSE), \(outcome.neverReachedServer) never reached the server (refund at expiry); \
                \(String(format: "%.1f", elapsed)) s
                """
        }
    }

    static let channelValue = 1_000_000

    let victim: SoakVictim
    let settings: SoakSettings
    private var random: SoakRandom
    let root: String
    private let clientDir: String
    private let clientLog: FileHandle
    private let serverLog: FileHandle
    private let server: SoakServer
    private var ledger = SoakLedger()
    private var runs = 0
    private var runsNotKilled = 0
    /// Things that went wrong; the test records each as an issue.
    private(set) var problems: [String] = []

    init(victim: SoakVictim, settings: SoakSettings) throws {
        self.victim = victim
        self.settings = settings
        random = SoakRandom(seed: settings.seed)
        root =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("paychan-soak-\(victim.rawValue)-\(settings.seed)-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        clientDir = root + "/client"
        clientLog = try Self.logFile(root + "/client.log")
        serverLog = try Self.logFile(root + "/server.log")
        server = try SoakServer(directory: root + "/server", txLog: root + "/tx.log", stderr: serverLog)
    }

    private static func logFile(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw SoakFailure("cannot create \(path)") }
        return handle
    }

    /// Runs the soak to `settings.kills` kills, closes everything and checks; throws when a
    /// step cannot be carried out (such as the server failing to restart).
    func run() throws -> Summary {
        let started = Date()
        while ledger.totalKills < settings.kills {
            try cycle()
            guard problems.count < 20 else { throw SoakFailure("too many problems: \(problems)") }
        }
        let (closeRuns, operatorCloses) = try closeEverything()
        let verification = try readEndState()
        let outcome = verification.check(ledger)
        problems += outcome.problems
        problems += ledger.malformed.map { "malformed progress line: \($0)" }
        return Summary(
            victim: victim, seed: settings.seed, ledger: ledger, runs: runs, runsNotKilled: runsNotKilled,
            serverStarts: server.starts, closeRuns: closeRuns, operatorCloses: operatorCloses,
            serverChannels: verification.server.count, outcome: outcome, elapsed: Date().timeIntervalSince(started))
    }

    /// Removes the soak's files (keep them when it failed: they show what happened).
    func removeFiles() { try? FileManager.default.removeItem(atPath: root) }

    // MARK: One client run

    private func clientArguments(payments: Int, amount: Int, close: Bool) -> [String] {
        [
            "client", "--server", server.address, "--dir", clientDir, "--channel-value", "\(Self.channelValue)",
            "--payments", "\(payments)", "--amount", "\(amount)", "--progress", "--json",
        ] + (close ? ["--close"] : [])
    }

    private func cycle() throws {
        let payments = Int.random(in: 2...30, using: &random)
        let amount = Int.random(in: 1000...2000, using: &random)
        // Close a channel before it runs out (a payment it cannot cover fails the run).
        let nearlySpent =
            ledger.lastChannel.map { ledger.acknowledged[$0, default: 0] > Self.channelValue / 2 } ?? false
        let close = random.chance(0.35) || nearlySpent
        let plan = nextPlan(lines: 1 + payments + (close ? 2 : 0), payments: payments, close: close)
        runs += 1
        let run = try SoakClientRun(
            arguments: clientArguments(payments: payments, amount: amount, close: close), stderr: clientLog)
        let phase = waitForKillMoment(run, plan)
        if let phase {
            ledger.kills[phase, default: 0] += 1
            switch victim {
            case .client:
                run.kill()
            case .server:
                server.kill()
                try server.start()
            }
        }
        guard run.waitUntilEnded(until: Date().addingTimeInterval(30)) else {
            run.kill()
            problems.append("client run \(runs) still running 30 s after \(phase == nil ? "start" : "the kill")")
            return
        }
        ledger.absorb(run.progress)
        if phase == nil {
            runsNotKilled += 1
            if run.process.terminationStatus != 0 {
                problems.append(
                    "client run \(runs) exited with status \(run.process.terminationStatus) without a kill: \(clientLogTail())"
                )
            }
        }
    }

    private func nextPlan(lines: Int, payments: Int, close: Bool) -> KillPlan {
        if random.chance(0.12) { return .none }
        if random.chance(0.3) { return .afterDelay(Double.random(in: 0..<0.08, using: &random)) }
        // Aim at the close exchange often: it is short, and a random line rarely lands in it.
        if close && random.chance(0.4) {
            return .afterLines(payments + 2, extra: Double.random(in: 0..<0.02, using: &random))
        }
        return .afterLines(
            Int.random(in: 1..<lines, using: &random), extra: Double.random(in: 0..<0.003, using: &random))
    }

    /// Waits for the planned moment; returns the phase the run is in then, or nil when the run
    /// ended first (or no kill was planned).
    private func waitForKillMoment(_ run: SoakClientRun, _ plan: KillPlan) -> SoakPhase? {
        switch plan {
        case .none:
            return nil
        case .afterDelay(let delay):
            Thread.sleep(forTimeInterval: delay)
        case .afterLines(let count, let extra):
            guard run.waitForLines(count, until: Date().addingTimeInterval(30)) else { return nil }
            if extra > 0 { Thread.sleep(forTimeInterval: extra) }
        }
        guard run.isRunning else { return nil }
        return SoakPhase(after: run.progress)
    }

    // MARK: The end

    /// Lets the client close every channel it can reopen, stops the server, then settles by hand
    /// (`paychan close`) the channels the client can no longer reopen (too little left).
    private func closeEverything() throws -> (closeRuns: Int, operatorCloses: Int) {
        var closeRuns = 0
        while true {
            let serverOpen = Set(
                try channels(server.directory, "server").filter { $0["state"] as? String == "open" }
                    .compactMap { $0["contract_txid"] as? String })
            let reopenable = try channels(clientDir, "client").filter {
                ($0["state"] as? String == "open" || $0["state"] as? String == "opening")
                    && serverOpen.contains($0["contract_txid"] as? String ?? "")
                    && ($0["value_left"] as? Int ?? 0) >= 10_000
            }
            if reopenable.isEmpty { break }
            guard closeRuns < 2 * reopenable.count + 10 else {
                problems.append("\(reopenable.count) channels still open after \(closeRuns) closing runs")
                break
            }
            closeRuns += 1
            let run = try SoakClientRun(
                arguments: clientArguments(payments: 1, amount: 1000, close: true), stderr: clientLog)
            guard run.waitUntilEnded(until: Date().addingTimeInterval(30)) else {
                run.kill()
                throw SoakFailure("a closing client run hung")
            }
            ledger.absorb(run.progress)
            if run.process.terminationStatus != 0 {
                problems.append("closing run exited with \(run.process.terminationStatus): \(clientLogTail())")
            }
        }
        let status = server.stop()
        if status != 0 { problems.append("the server exited with status \(status) on SIGTERM") }
        var operatorCloses = 0
        let clientStates = Dictionary(
            try channels(clientDir, "client").map {
                ($0["contract_txid"] as? String ?? "?", $0["state"] as? String ?? "?")
            }
        ) { a, _ in a }
        for channel in try channels(server.directory, "server") where channel["state"] as? String == "open" {
            let txid = channel["contract_txid"] as? String ?? "?"
            // Left open: the client cannot reopen it only when too little is left in it.
            if clientStates[txid] != "open" && clientStates[txid] != "opening" {
                problems.append(
                    "channel \(txid) is open on the server, \(clientStates[txid] ?? "unknown") to the client")
            }
            let closed = try PaychanProcess.run(["close", "--dir", server.directory, txid, "--tx-log", server.txLog])
            operatorCloses += 1
            if closed.status != 0 { problems.append("paychan close \(txid) failed: \(closed.stderr)") }
        }
        return (closeRuns, operatorCloses)
    }

    private func channels(_ directory: String, _ role: String) throws -> [[String: Any]] {
        let listed = try PaychanProcess.run(["channels", "--dir", directory, "--json"])
        guard listed.status == 0, let list = try listed.json()[role] as? [[String: Any]] else {
            throw SoakFailure("paychan channels --dir \(directory) failed: \(listed.stderr)")
        }
        return list
    }

    private func readEndState() throws -> SoakVerification {
        let lines = try String(contentsOfFile: server.txLog, encoding: .utf8).split(separator: "\n")
        let transactions = try lines.map { line in
            do { return try Transaction(hex: String(line)) } catch {
                throw SoakFailure("tx log line \(line): \(error)")
            }
        }
        return SoakVerification(
            server: try channels(server.directory, "server"), client: try channels(clientDir, "client"),
            transactions: transactions, payout: try payoutScript())
    }

    /// The server's payout, from the address it logs at start.
    private func payoutScript() throws -> Script {
        let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
        guard let range = log.range(of: "payout "),
            let word = log[range.upperBound...].split(whereSeparator: \.isWhitespace).first,
            let address = try? Address(String(word))
        else { throw SoakFailure("no payout address in the server log") }
        return address.scriptPubKey
    }

    private func clientLogTail() -> String {
        let log = (try? String(contentsOfFile: root + "/client.log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(3).joined(separator: " | ")
    }
}
