import BitcoinPrimitives
import Foundation

/// What `paychan-crash-child` printed, parsed (see the child's documentation for the lines).
struct CrashTranscript {
    /// The child's `STATE` / `FINAL` line: both stores' channels and what can be done with them.
    struct Report: Decodable {
        struct ServerChannel: Decodable {
            var contract: String
            var state: String
            var channelValue: Int64
            var bestValueToServer: Int64
            var expiry: UInt64
            var settlement: String?
            var settleable: Bool
            var problem: String?
        }

        struct ClientChannel: Decodable {
            var contract: String
            var state: String
            var channelValue: Int64
            var valueLeft: Int64
            var paidToServer: Int64
            var expiry: UInt64
            var refundable: Bool
            var problem: String?
        }

        struct Wallet: Decodable {
            var strandedOutputs: Int
            var strandedValue: Int64
        }

        var server: [ServerChannel]
        var client: [ClientChannel]
        var wallet: Wallet
    }

    var payout: String?
    var state: Report?
    var final: Report?
    /// `REOPENED`: whether the stored channel was resumed, and the channel in use.
    var reopened: (resumed: Bool, contract: String)?
    /// The highest `ACK` total seen for each channel.
    var acknowledged: [String: Int64] = [:]
    var settled: [String] = []
    /// The type of the last message that reached the tap.
    var lastMessage: String?
    var paused: String?
    var messages: Int?
    var commits: Int?
    var acks: Int?
    var done = false
    /// Lines that could not be understood, and `FAILED` lines.
    var problems: [String] = []

    init(_ lines: [String]) {
        var current: String?
        let decoder = JSONDecoder()
        for line in lines {
            let (word, rest) = Self.split(line)
            switch word {
            case "PAYOUT": payout = rest
            case "STATE", "FINAL":
                do {
                    let report = try decoder.decode(Report.self, from: Data(rest.utf8))
                    if word == "STATE" { state = report } else { final = report }
                } catch {
                    problems.append("unreadable \(word) line: \(error)")
                }
            case "REOPENED":
                let (resumed, contract) = Self.split(rest)
                reopened = (resumed == "true", contract)
                current = contract
            case "OPENED": current = rest
            case "ACK":
                guard let total = Int64(rest), let channel = current else {
                    problems.append("ACK without a channel or a number: \(line)")
                    continue
                }
                acknowledged[channel] = max(acknowledged[channel] ?? 0, total)
            case "SETTLED": settled.append(Self.split(rest).0)
            case "PAUSED": paused = rest
            case "MESSAGES": messages = Int(rest)
            case "COMMITS": commits = Int(rest)
            case "ACKS": acks = Int(rest)
            case "DONE": done = true
            case "FAILED": problems.append(line)
            case "MSG": lastMessage = Self.split(rest).1
            case "SETTLEMENT_TO_SERVER": break
            default: problems.append("unexpected line: \(line.prefix(200))")
            }
        }
    }

    /// How far a run got: `starting` (the state found not printed yet), `opening` (recovering
    /// and opening or reopening), `paying`, `closing`, or `closed`.
    var phase: String {
        if state == nil && lastMessage == nil { return "starting" }
        if reopened == nil && acknowledged.isEmpty { return "opening" }
        if !settled.isEmpty { return "closed" }
        return lastMessage == "CLOSE" ? "closing" : "paying"
    }

    private static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }
}

/// The crash requirement, checked on the child's reports.
enum CrashInvariants {
    /// The channels a crash (or any run) left in the stores, against every payment acknowledged
    /// to the client before: no acknowledged payment is lost, the client never believes it has
    /// more than it signed away, and every channel can still be ended (the server can settle
    /// it, the client can take its refund).
    static func check(_ report: CrashTranscript.Report, acknowledged: [String: Int64], _ what: String) -> [String] {
        var problems: [String] = []
        let servers = Dictionary(report.server.map { ($0.contract, $0) }, uniquingKeysWith: { first, _ in first })
        let clients = Dictionary(report.client.map { ($0.contract, $0) }, uniquingKeysWith: { first, _ in first })
        for (contract, total) in acknowledged.sorted(by: { $0.key < $1.key }) {
            guard let server = servers[contract] else {
                problems.append("\(what): channel \(contract) acknowledged \(total) sat but the server has no record")
                continue
            }
            if server.bestValueToServer < total {
                problems.append(
                    "\(what): acknowledged payment lost on \(contract): the client saw \(total) sat acknowledged, "
                        + "the server stored only \(server.bestValueToServer)")
            }
        }
        for server in report.server {
            guard let client = clients[server.contract] else {
                problems.append("\(what): the server holds \(server.contract) (\(server.state)), the client does not")
                continue
            }
            if client.paidToServer < server.bestValueToServer {
                problems.append(
                    "\(what): on \(server.contract) the client believes it paid \(client.paidToServer) sat, "
                        + "less than the \(server.bestValueToServer) the server holds its signature for")
            }
            if !server.settleable {
                problems.append(
                    "\(what): the server cannot settle \(server.contract) (\(server.state)): "
                        + (server.problem ?? "?"))
            }
        }
        for client in report.client where client.state == "opening" || client.state == "open" {
            if !client.refundable {
                problems.append(
                    "\(what): the client cannot refund \(client.contract) (\(client.state)): "
                        + (client.problem ?? "?"))
            }
        }
        return problems
    }

    /// A channel both sides still held open when the process died is resumed by the next
    /// connection (when it is the only such channel: the client offers one).
    static func checkResumed(_ state: CrashTranscript.Report, recovery: CrashTranscript) -> [String] {
        let openStates: Set<String> = ["opening", "open"]
        let serverOpen = Set(state.server.filter { openStates.contains($0.state) }.map(\.contract))
        let bothOpen = state.client.filter { openStates.contains($0.state) && serverOpen.contains($0.contract) }
        guard bothOpen.count == 1, let channel = bothOpen.first else { return [] }
        guard let reopened = recovery.reopened, reopened.resumed, reopened.contract == channel.contract else {
            return [
                "recovery: both sides held \(channel.contract) open, but it was not resumed "
                    + "(REOPENED \(recovery.reopened.map { "\($0.resumed) \($0.contract)" } ?? "missing"))"
            ]
        }
        return []
    }

    /// After the recovery: every channel with acknowledged payments has a settlement (stored, or
    /// the one the server could broadcast now) paying the server at least what was acknowledged
    /// minus the settlement's fee, and the channel the recovery used was settled on both sides.
    static func checkFinal(_ recovery: CrashTranscript, acknowledged: [String: Int64]) -> [String] {
        guard let final = recovery.final else { return ["recovery printed no FINAL records"] }
        guard let payout = recovery.payout else { return ["recovery printed no PAYOUT script"] }
        var problems = check(final, acknowledged: acknowledged, "after recovery")
        if final.wallet.strandedOutputs > 0 {
            problems.append(
                "after recovery: \(final.wallet.strandedOutputs) wallet outputs (\(final.wallet.strandedValue) sat) "
                    + "are still marked spent by a contract that was never stored, so never handed over")
        }
        let servers = Dictionary(final.server.map { ($0.contract, $0) }, uniquingKeysWith: { first, _ in first })
        for (contract, total) in acknowledged.sorted(by: { $0.key < $1.key }) {
            guard let server = servers[contract] else { continue }  // reported by check
            guard let hex = server.settlement else {
                problems.append("after recovery: no settlement for \(contract) (\(server.state))")
                continue
            }
            guard let settlement = try? Transaction(hex: hex) else {
                problems.append("after recovery: the settlement of \(contract) does not parse")
                continue
            }
            let outputs = settlement.outputs.map(\.value.satoshis).reduce(0, +)
            let fee = server.channelValue - outputs
            let toServer = settlement.outputs.filter { $0.scriptPubKey.bytes.hex == payout }.map(\.value.satoshis)
                .reduce(0, +)
            if toServer < total - fee {
                problems.append(
                    "after recovery: the settlement of \(contract) pays the server \(toServer) sat, less than the "
                        + "\(total) acknowledged minus its \(fee) fee")
            }
        }
        if let used = recovery.reopened?.contract {
            let serverState = servers[used]?.state
            let clientState = final.client.first { $0.contract == used }?.state
            if serverState != "settled" || clientState != "settled" || !recovery.settled.contains(used) {
                problems.append(
                    "after recovery: the channel \(used) it used is \(serverState ?? "missing") on the server and "
                        + "\(clientState ?? "missing") on the client")
            }
        } else {
            problems.append("recovery printed no REOPENED line")
        }
        return problems
    }

    /// The highest of both totals for each channel.
    static func merge(_ a: [String: Int64], _ b: [String: Int64]) -> [String: Int64] {
        a.merging(b, uniquingKeysWith: max)
    }
}
