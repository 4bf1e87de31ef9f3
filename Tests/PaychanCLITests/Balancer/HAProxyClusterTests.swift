import Foundation
import PaychanTestSupport
import Testing

/// Two live `paychan server` nodes on one PostgreSQL store behind Debian's HAProxy (round robin):
/// a client's channel is reopened by whichever node HAProxy picks, the node serving it is killed
/// in the middle of a run, and the next reopen through HAProxy is resumed by the other node with
/// every acknowledged payment kept.
@Suite(
    "Two live server nodes on one PostgreSQL store behind HAProxy", .onDedicatedThreads, .serialized,
    .enabled(
        if: HAProxyBalancer.binary != nil,
        "haproxy is not installed (Scripts/test installs Debian's haproxy; apt-get install haproxy)"),
    .enabled(if: ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"]?.isEmpty == false))
struct HAProxyClusterTests {
    @Test(
        "reopens through HAProxy land on both nodes and resume the same channel; the serving node killed mid-run, the other resumes it"
    )
    func twoLiveBackendsShareOneStore() throws {
        let haproxy = try #require(HAProxyBalancer.binary)
        let scratch = try ScratchDirectory()
        let store = try PostgresStoreCLITests.freshStoreURL()
        let cluster = try NodeCluster(scratch: scratch.path, store: store, nodes: 2)
        defer { cluster.stopAll() }
        let balancer = try HAProxyBalancer(binary: haproxy, directory: scratch.path, backends: cluster.ports)
        cluster.route(through: balancer.address)
        let record = ClientRecord()
        let dir = scratch.path + "/client"

        // Six runs through the balancer: one channel, reopened each time, served by both nodes.
        var txids: Set<String> = []
        for run in 0..<6 {
            let result = try cluster.client(dir: dir, ["--payments", "3", "--amount", "1000", "--progress", "--json"])
            record.note(client: 0, result)
            #expect(result.status == 0, "run \(run): \(result.stderr)\n\(balancer.log)")
            let output = try Self.summary(of: result)
            #expect(output["reopened"] as? Bool == (run > 0))
            if let txid = output["contract_txid"] as? String { txids.insert(txid) }
        }
        #expect(txids.count == 1, "the runs used channels \(txids)")
        let servingNodes = try cluster.sql("SELECT count(DISTINCT node_id) FROM channel_claim_log")
        #expect(servingNodes == "2", "HAProxy sent the reopens to \(servingNodes ?? "?") node(s)")

        // A long run; the node serving it (the latest claim's) is killed in the middle.
        let long = RepeatedClient(
            cluster, dir: dir, record: record, ["--payments", "20000", "--amount", "1"], once: true)
        Thread.sleep(forTimeInterval: 1.5)
        let serving = try #require(try cluster.sql(NodeCluster.latestGrant))
        let killed = serving.hasPrefix("node0 ") ? 0 : 1
        let ackedBeforeKill = record.total
        cluster.kill(killed)
        let cut = try #require(long.finish().first)
        #expect(cut.status != 0, "the run through the killed node ended \(cut.status)")
        #expect(record.total >= ackedBeforeKill)

        // Reopened through HAProxy: the other node resumes the channel once the killed node's
        // lease lapses, and the client closes it there.
        let resumed = try cluster.client(
            dir: dir, ["--payments", "2", "--amount", "1000", "--progress", "--close", "--json"])
        record.note(client: 0, resumed)
        #expect(resumed.status == 0, "\(resumed.stderr)\n\(balancer.log)")
        let closing = try Self.summary(of: resumed)
        #expect(closing["reopened"] as? Bool == true)
        #expect(txids.contains(closing["contract_txid"] as? String ?? ""))
        #expect(closing["settlement"] is [String: Any])
        let taker = try #require(try cluster.sql(NodeCluster.latestGrant))
        #expect(taker.hasPrefix("node\(1 - killed) "), "after node\(killed) was killed: \(taker)")

        cluster.stopAll()
        let (channels, acknowledged) = try cluster.settleAndCompare(clients: [dir], record: record)
        #expect(channels == 1)
        let audit = try cluster.claimAudit()
        #expect(audit.shared == "0" && audit.foreign == "0")
        print(
            "HAProxy over two live nodes: 6 reopens on \(servingNodes ?? "?") nodes, node\(killed) killed mid-run "
                + "(\(serving)), resumed and closed by \(taker); acknowledged (sat) \(acknowledged); "
                + "(channel, token) written by two nodes: \(audit.shared ?? "?")")
    }

    /// The JSON summary a `--progress --json` run prints last.
    private static func summary(of result: PaychanProcess.Result) throws -> [String: Any] {
        let last = try #require(result.stdout.split(separator: "\n").last)
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8))
        return try #require(object as? [String: Any])
    }
}
