import Foundation
import Synchronization
import Testing

/// Three `paychan server` nodes on one PostgreSQL database, clients paying through all of them
/// (`--server A,B,C`), and SIGKILLs of random nodes at random moments, each node started again.
/// At the end every channel is settled, the server side holds at least every payment a client
/// saw acknowledged and no more than it signed, and the store's own counts show no channel
/// written by two nodes under one claim. `PAYCHAN_NODE_KILLS` sets the number of kills (12 by
/// default, for CI; the issue asks for 60 or more).
@Suite(
    "Three server nodes on one database, killed at random", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
struct NodeKillTests {
    static let kills = Int(ProcessInfo.processInfo.environment["PAYCHAN_NODE_KILLS"] ?? "") ?? 12
    static let clients = 4

    @Test("SIGKILLs of random nodes while clients open, pay and close: nothing acknowledged lost, no claim shared")
    func killRandomNodes() throws {
        let scratch = try ScratchDirectory()
        let store = try PostgresStoreCLITests.freshStoreURL()
        let cluster = try NodeCluster(scratch: scratch.path, store: store, nodes: 3)
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
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<Self.kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...1.2, using: &generator))
            let node = Int.random(in: 0..<3, using: &generator)
            cluster.kill(node)
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.6, using: &generator))
            try cluster.restart(node)
        }
        Thread.sleep(forTimeInterval: 1)
        stop.store(true, ordering: .relaxed)
        group.wait()
        #expect(cluster.killsDone == Self.kills)

        let dirs = (0..<Self.clients).map { scratch.path + "/client\($0)" }
        try cluster.closeClients(dirs, record: record)
        cluster.stopAll()
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: dirs, record: record)
        #expect(acknowledged > 0)
        // From the store: no (channel, token) written by two nodes or by a node it was not granted to.
        let (shared, foreign, tokens, writes) = try cluster.claimAudit()
        #expect(shared == "0" && foreign == "0")
        let summary =
            "node kills: \(cluster.killsDone), channels: \(channels), client runs: \(record.runs), "
            + "payments acknowledged (sat): \(acknowledged), claims that wrote: \(tokens ?? "?"), fenced writes: "
            + "\(writes ?? "?"), (channel, token) written by two nodes: \(shared ?? "?"), by a node not granted: \(foreign ?? "?")"
        print(summary)
        try? summary.write(toFile: scratch.path + "/../paychan-node-kills.txt", atomically: true, encoding: .utf8)
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
