import Foundation
import PaychanTestSupport
import Synchronization
import Testing

/// Issue 17's database faults, on a PostgreSQL cluster of the test's own (started with
/// `Scripts/postgres-cluster`, so stopping it disturbs no other test): two `paychan server` nodes,
/// a `paychan client` paying through `--server A,B`. Nodes whose store fails exit with status 3
/// and are started again, as a supervisor would. Nothing acknowledged may be lost, no client may
/// pay more than it signed, no process may end on a signal, and no (channel, fencing token) may
/// have writes from two nodes.
@Suite(
    "Database faults under two server nodes", .onDedicatedThreads, .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
struct DatabaseFaultTests {
    @Test(
        "PostgreSQL stopped with pg_ctl stop -m immediate during payments, then started: the client pays on, nothing acknowledged lost"
    )
    func databaseStoppedImmediately() throws {
        let database = try PrivatePostgresCluster()
        let scratch = try ScratchDirectory()
        let cluster = try NodeCluster(scratch: scratch.path, store: database.freshStoreURL("dbstop"), nodes: 2)
        defer { cluster.stopAll() }
        let supervisor = NodeSupervisor(cluster)
        let record = ClientRecord()
        let dir = scratch.path + "/client"
        let payer = RepeatedClient(cluster, dir: dir, record: record, ["--payments", "20", "--amount", "100"])

        try waitFor("payments before the fault", seconds: 30) { record.total > 0 }
        Thread.sleep(forTimeInterval: 1)
        try database.stopImmediately()
        let stoppedAt = Date()
        let ackedAtStop = record.total
        Thread.sleep(forTimeInterval: 3)
        try database.start()
        let startedAt = Date()
        try waitFor("a payment acknowledged after PostgreSQL started again", seconds: 60) {
            record.total > ackedAtStop
        }
        let recovery = Date().timeIntervalSince(startedAt)
        Thread.sleep(forTimeInterval: 2)
        let runs = payer.finish()
        try cluster.closeClients([dir], record: record)
        let exits = supervisor.finish() + cluster.stopAll().compactMap { $0 }

        #expect(exits.contains { $0.status == 3 }, "no node exited 3 while its store was gone: \(exits)")
        #expect(exits.allSatisfy { !$0.signaled && [0, 3].contains($0.status) }, "node exits: \(exits)")
        #expect(
            runs.allSatisfy { !$0.signaled && [0, 2, 3].contains($0.status) }, "client runs: \(runs.map(\.status))")
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: [dir], record: record)
        let audit = try cluster.claimAudit()
        #expect(audit.shared == "0" && audit.foreign == "0")
        print(
            "database stopped -m immediate for \(String(format: "%.1f", startedAt.timeIntervalSince(stoppedAt))) s: "
                + "first acknowledgement \(String(format: "%.1f", recovery)) s after it started; node exits \(exits); "
                + "client runs \(runs.count) (statuses \(runs.map(\.status))); channels \(channels); "
                + "acknowledged (sat) \(ackedAtStop) before the stop, \(acknowledged) in all; "
                + "(channel, token) written by two nodes: \(audit.shared ?? "?"), fenced writes \(audit.writes ?? "?")")
    }

    @Test(
        "a node cut off from PostgreSQL (backends terminated) while a client pays: it stops acknowledging, the other node takes over, the old token never writes again"
    )
    func nodeCutOff() throws {
        let database = try PrivatePostgresCluster()
        let scratch = try ScratchDirectory()
        let cluster = try NodeCluster(scratch: scratch.path, store: database.freshStoreURL("cutoff"), nodes: 2)
        defer { cluster.stopAll() }
        let record = ClientRecord()
        let dir = scratch.path + "/client"
        // The first address is node0's: it opens the channel and holds its claim.
        let first = try cluster.client(dir: dir, ["--payments", "10", "--amount", "1000", "--progress"])
        record.note(client: 0, first)
        #expect(first.status == 0, "\(first.stderr)")

        // A long run through node0, cut off from the database in the middle of it.
        let payer = RepeatedClient(
            cluster, dir: dir, record: record, ["--payments", "20000", "--amount", "1"], once: true)
        Thread.sleep(forTimeInterval: 2)
        let claim = try #require(try cluster.sql(NodeCluster.latestGrant))
        let oldToken = try #require(claim.split(separator: " ").last.map(String.init))
        #expect(claim.hasPrefix("node0 "), "claim \(claim)")
        // node0's connections call themselves paychan-node0-writer, -reader, -claims.
        let terminated = try database.sql(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                + "WHERE application_name LIKE 'paychan-node0-%'")
        #expect(Int(terminated) ?? 0 >= 2, "node0 had \(terminated) connections to the database")
        let cutAt = Date()
        let cutRun = try #require(payer.finish().first)
        let stoppedAcknowledging = Date().timeIntervalSince(cutAt)
        #expect(cutRun.status != 0, "the run through the cut-off node ended \(cutRun.status): \(cutRun.stderr)")
        try waitFor("node0 to exit", seconds: 15) { cluster.ended(0) != nil }
        let cutExit = try #require(cluster.ended(0))
        #expect(cutExit.status == 3 && !cutExit.signaled, "node0 ended: \(cutExit)")
        let oldWrites = try cluster.sql(
            "SELECT coalesce(sum(writes), 0) FROM channel_claim_writes WHERE token = \(oldToken)")

        // The next run is served by node1, once node0's lease lapses.
        let takeoverStart = Date()
        let second = try cluster.client(dir: dir, ["--payments", "10", "--amount", "1000", "--progress"])
        let takeover = Date().timeIntervalSince(takeoverStart)
        record.note(client: 0, second)
        #expect(second.status == 0, "\(second.stderr)")
        let newClaim = try #require(try cluster.sql(NodeCluster.latestGrant))
        #expect(newClaim.hasPrefix("node1 "), "claim after the cut: \(newClaim)")

        // node0 comes back (a supervisor restarts it) and serves again only under a new claim.
        try cluster.restart(0)
        let third = try cluster.client(dir: dir, ["--payments", "10", "--amount", "1000", "--progress"])
        record.note(client: 0, third)
        #expect(third.status == 0, "\(third.stderr)")
        try cluster.closeClients([dir], record: record)
        let exits = cluster.stopAll().compactMap { $0 }
        #expect(exits.allSatisfy { $0.status == 0 && !$0.signaled }, "node exits: \(exits)")
        let laterWrites = try cluster.sql(
            "SELECT coalesce(sum(writes), 0) FROM channel_claim_writes WHERE token = \(oldToken)")
        #expect(
            laterWrites == oldWrites,
            "the old token \(oldToken) wrote after the cut: \(oldWrites ?? "?") -> \(laterWrites ?? "?")")
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: [dir], record: record)
        let audit = try cluster.claimAudit()
        #expect(audit.shared == "0" && audit.foreign == "0")
        print(
            "cut off node0 (\(terminated) backends terminated): its client run ended \(cutRun.status) "
                + "\(String(format: "%.2f", stoppedAcknowledging)) s later, node0 \(cutExit); node1 took the channel over "
                + "(\(claim) -> \(newClaim)) in a run of \(String(format: "%.1f", takeover)) s; writes under token "
                + "\(oldToken): \(oldWrites ?? "?") at the cut, \(laterWrites ?? "?") at the end; channels \(channels); "
                + "acknowledged (sat) \(acknowledged); (channel, token) written by two nodes: \(audit.shared ?? "?"), "
                + "by a node not granted: \(audit.foreign ?? "?"), fenced writes \(audit.writes ?? "?")")
    }

    @Test(
        "a node paused (SIGSTOP) past its lease while a client pays: the client moves to the other node, and the paused node, woken, writes nothing under its old claim"
    )
    func nodePausedPastItsLease() throws {
        let scratch = try ScratchDirectory()
        let store = try PostgresStoreCLITests.freshStoreURL()
        let cluster = try NodeCluster(scratch: scratch.path, store: store, nodes: 2)
        defer { cluster.stopAll() }
        let record = ClientRecord()
        let dir = scratch.path + "/client"
        // A long run through node0 (the first address), paused in the middle of it.
        let payer = RepeatedClient(
            cluster, dir: dir, record: record,
            ["--payments", "20000", "--amount", "1", "--reply-timeout", "3"], once: true)
        Thread.sleep(forTimeInterval: 2)
        let claim = try #require(try cluster.sql(NodeCluster.latestGrant))
        #expect(claim.hasPrefix("node0 "), "claim \(claim)")
        let oldToken = try #require(claim.split(separator: " ").last.map(String.init))
        cluster.send(SIGSTOP, to: 0)
        let pausedAt = Date()
        let stalled = try #require(payer.finish().first)
        let stallTime = Date().timeIntervalSince(pausedAt)
        #expect(stalled.status == 2, "the run through the paused node ended \(stalled.status): \(stalled.stderr)")

        // The next run passes the silent node0 over; node1 takes the channel once node0's
        // lease lapses (node0 cannot renew it while paused).
        let next = try cluster.client(
            dir: dir, ["--payments", "10", "--amount", "1000", "--progress", "--reply-timeout", "3"])
        record.note(client: 0, next)
        #expect(next.status == 0, "\(next.stderr)")
        let taken = try #require(try cluster.sql(NodeCluster.latestGrant))
        #expect(taken.hasPrefix("node1 "), "claim after the pause: \(taken)")
        let writesAtTakeover = try cluster.sql(
            "SELECT coalesce(sum(writes), 0) FROM channel_claim_writes WHERE token = \(oldToken)")

        // node0 wakes with whatever it had queued under its old claim: nothing of it is stored.
        cluster.send(SIGCONT, to: 0)
        Thread.sleep(forTimeInterval: 3)
        #expect(cluster.ended(0) == nil, "node0 ended after waking: \(String(describing: cluster.ended(0)))")
        let writesAfterWaking = try cluster.sql(
            "SELECT coalesce(sum(writes), 0) FROM channel_claim_writes WHERE token = \(oldToken)")
        #expect(
            writesAfterWaking == writesAtTakeover,
            "token \(oldToken) wrote after node1 took over: \(writesAtTakeover ?? "?") -> \(writesAfterWaking ?? "?")")

        // Both nodes serve on; the client closes through the cluster.
        try cluster.closeClients([dir], record: record)
        let exits = cluster.stopAll().compactMap { $0 }
        #expect(exits.allSatisfy { $0.status == 0 && !$0.signaled }, "node exits: \(exits)")
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: [dir], record: record)
        let audit = try cluster.claimAudit()
        #expect(audit.shared == "0" && audit.foreign == "0")
        print(
            "paused node0 (\(claim)): its client run ended \(stalled.status) \(String(format: "%.1f", stallTime)) s later; "
                + "node1 took over (\(taken)); writes under token \(oldToken): \(writesAtTakeover ?? "?") at the takeover, "
                + "\(writesAfterWaking ?? "?") after node0 woke; channels \(channels); acknowledged (sat) \(acknowledged); "
                + "(channel, token) written by two nodes: \(audit.shared ?? "?")")
    }

    private func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else {
                throw CocoaError(.userCancelled, userInfo: [NSLocalizedDescriptionKey: "timed out waiting for \(what)"])
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}

/// Starts every node that ended again, as a supervisor would, and keeps how each ended.
final class NodeSupervisor: Sendable {
    private let state = Mutex<(exits: [ServerExit], stop: Bool)>(([], false))
    private let done = DispatchSemaphore(value: 0)

    init(_ cluster: NodeCluster) {
        Thread.detachNewThread { [self] in
            while !state.withLock({ $0.stop }) {
                for node in cluster.ports.indices {
                    guard let exit = cluster.ended(node) else { continue }
                    state.withLock { if !$0.exits.contains(exit) { $0.exits.append(exit) } }
                    try? cluster.restart(node)
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            done.signal()
        }
    }

    /// Stops supervising; how the nodes that ended meanwhile ended.
    func finish() -> [ServerExit] {
        state.withLock { $0.stop = true }
        done.wait()
        return state.withLock { $0.exits }
    }
}

/// A `paychan client --progress` run through the cluster, repeated (or once) on its own thread.
final class RepeatedClient: Sendable {
    private let state = Mutex<(runs: [PaychanProcess.Result], stop: Bool)>(([], false))
    private let done = DispatchSemaphore(value: 0)

    init(_ cluster: NodeCluster, dir: String, record: ClientRecord, _ arguments: [String], once: Bool = false) {
        Thread.detachNewThread { [self] in
            while !state.withLock({ $0.stop }) {
                if let result = try? cluster.client(dir: dir, arguments + ["--progress"]) {
                    record.note(client: 0, result)
                    state.withLock { $0.runs.append(result) }
                }
                if once { break }
            }
            done.signal()
        }
    }

    /// Lets the current run end and returns every run's result.
    func finish() -> [PaychanProcess.Result] {
        state.withLock { $0.stop = true }
        done.wait()
        return state.withLock { $0.runs }
    }
}
