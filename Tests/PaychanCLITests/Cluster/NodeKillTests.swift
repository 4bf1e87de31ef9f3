import Foundation
import PaychanTestSupport
import Synchronization
import Testing

/// Three `paychan server` nodes on one PostgreSQL database, clients paying through all of them
/// (`--server A,B,C`), and SIGKILLs of random nodes at random moments, each node started again.
/// At the end every channel is settled, the server side holds at least every payment a client
/// saw acknowledged and no more than it signed, and the store's own counts show no channel
/// written by two nodes under one claim. `PAYCHAN_NODE_KILLS` sets the number of kills (12 by
/// default, for CI; the issue asks for 60 or more).
@Suite(
    "Three server nodes on one database, killed at random", .onDedicatedThreads, .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
struct NodeKillTests {
    static let kills = Int(ProcessInfo.processInfo.environment["PAYCHAN_NODE_KILLS"] ?? "") ?? 12
    static let clients = 4
    /// Seconds from a channel's opening to its expiry settlement.
    static let expiryAfter = 6

    @Test(
        "SIGKILLs of random nodes while clients open, pay and close and channels are settled for expiry: nothing acknowledged lost, no claim shared"
    )
    func killRandomNodes() throws {
        let scratch = try ScratchDirectory()
        let store = try PostgresStoreCLITests.freshStoreURL()
        // Every channel is granted a 4 h window (clients reopen channels with more than 3 h
        // left) and settled for its expiry `expiryAfter` seconds after it opened, so expiry
        // settlements run among the kills and the clients then open new channels.
        let cluster = try NodeCluster(
            scratch: scratch.path, store: store, nodes: 3,
            serverArguments: [
                "--min-time-window", "14400", "--max-time-window", "14400",
                "--settle-margin", "\(14400 - Self.expiryAfter)",
            ])
        defer { cluster.stopAll() }
        let record = ClientRecord()
        let root = scratch.path
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for client in 0..<Self.clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let dir = root + "/client\(client)"
                while !stop.load(ordering: .relaxed) {
                    let result = try? cluster.client(dir: dir, ["--payments", "8", "--amount", "1000", "--progress"])
                    if let result { record.note(client: client, result) }
                }
            }
        }
        // The last `clients` kills fall among the closes at the end.
        try Self.killAtRandom(cluster, count: Self.kills - Self.clients, every: 0.2...1.2)
        Thread.sleep(forTimeInterval: 1)
        stop.store(true, ordering: .relaxed)
        group.wait()

        // The clients never closed while the nodes were killed: what was settled by then was
        // settled for its expiry (or was an opening a node finished after a kill).
        let settledBefore = try cluster.settledChannels()
        #expect(settledBefore > 0, "no channel was settled for its expiry during the run")
        let dirs = (0..<Self.clients).map { scratch.path + "/client\($0)" }
        let killer = DispatchGroup()
        let killerFailure = Mutex<(any Error)?>(nil)
        killer.enter()
        Thread.detachNewThread {
            defer { killer.leave() }
            do { try Self.killAtRandom(cluster, count: Self.clients, every: 0.1...0.6) } catch {
                killerFailure.withLock { $0 = error }
            }
        }
        try cluster.closeClients(dirs, record: record)
        killer.wait()
        #expect(killerFailure.withLock { $0 } == nil)
        #expect(cluster.killsDone == Self.kills)
        cluster.stopAll()
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: dirs, record: record)
        #expect(acknowledged > 0)
        // From the store: no (channel, token) written by two nodes or by a node it was not granted to.
        let (shared, foreign, tokens, writes) = try cluster.claimAudit()
        #expect(shared == "0" && foreign == "0")
        let summary =
            "node kills: \(cluster.killsDone), channels: \(channels) (\(settledBefore) settled for expiry during the kills), client runs: \(record.runs), "
            + "payments acknowledged (sat): \(acknowledged), claims that wrote: \(tokens ?? "?"), fenced writes: "
            + "\(writes ?? "?"), (channel, token) written by two nodes: \(shared ?? "?"), by a node not granted: \(foreign ?? "?")"
        print(summary)
        try? summary.write(toFile: scratch.path + "/../paychan-node-kills.txt", atomically: true, encoding: .utf8)
    }

    /// SIGKILLs `count` random nodes, one every `every` seconds, each started again after a
    /// moment (as a supervisor would).
    static func killAtRandom(_ cluster: NodeCluster, count: Int, every: ClosedRange<Double>) throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<count {
            Thread.sleep(forTimeInterval: Double.random(in: every, using: &generator))
            let node = Int.random(in: 0..<cluster.ports.count, using: &generator)
            cluster.kill(node)
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.6, using: &generator))
            try cluster.restart(node)
        }
    }
}

/// What the clients saw acknowledged: the largest total per channel from `--progress` lines
/// (`paid TXID TOTAL`, printed once the server acknowledged the payment).
final class ClientRecord: Sendable {
    private let state = Mutex<(acked: [String: Int], runs: Int)>(([:], 0))

    func note(client: Int, _ result: PaychanProcess.Result) {
        state.withLock { state in
            state.runs += 1
            for line in result.stdout.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.count == 3, words[0] == "paid" || words[0] == "opened" else { continue }
                let total = words[0] == "paid" ? Int(words[2]) : nil
                if let total {
                    state.acked[String(words[1]), default: 0] = max(state.acked[String(words[1])] ?? 0, total)
                }
            }
        }
    }

    func acked(_ txid: String) -> Int { state.withLock { $0.acked[txid] ?? 0 } }
    var runs: Int { state.withLock { $0.runs } }
    /// The satoshis acknowledged over every channel.
    var total: Int { state.withLock { $0.acked.values.reduce(0, +) } }
}
