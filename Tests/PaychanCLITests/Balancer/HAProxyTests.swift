import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan client through a real TCP load balancer (Debian's HAProxy)", .onDedicatedThreads, .serialized)
struct HAProxyTests {
    /// Runs `paychan client` with a 300,000-satoshi channel and 1,000-satoshi payments, and `arguments`.
    private static func client(_ arguments: [String], dir: String) throws -> PaychanProcess.Result {
        try PaychanProcess.run(["client", "--dir", dir, "--channel-value", "300000", "--amount", "1000"] + arguments)
    }

    @Test(
        "open, pay, reopen through HAProxy and through a failover list; its backend killed, the client is told; restarted at the other backend's port on the same store, the reopen through HAProxy lands there",
        .enabled(
            if: HAProxyBalancer.binary != nil,
            "haproxy is not installed (Scripts/test installs Debian's haproxy; apt-get install haproxy)"))
    func throughHAProxy() throws {
        let haproxy = try #require(HAProxyBalancer.binary)
        let scratch = try ScratchDirectory()
        let store = scratch.path + "/server"
        let node1 = try RunningServer(directory: store)
        // The second backend's port: nothing listens there until node 1 is gone.
        let node2Port = try LoopbackPort.belowEphemeralRange()
        let balancer = try HAProxyBalancer(binary: haproxy, directory: scratch.path, backends: [node1.port, node2Port])
        let clientDir = scratch.path + "/client"

        // A new channel through the balancer.
        let opened = try Self.client(["--server", balancer.address, "--payments", "5", "--json"], dir: clientDir)
        #expect(opened.status == 0, "\(opened.stderr)\n\(balancer.log)")
        let first = try opened.json()
        #expect(first["reopened"] as? Bool == false)
        #expect(first["run_acked_sats"] as? Int == 6_000)
        let txid = try #require(first["contract_txid"] as? String)

        // Reopened through the balancer: the same channel.
        let reopened = try Self.client(["--server", balancer.address, "--payments", "2", "--json"], dir: clientDir)
        #expect(reopened.status == 0, "\(reopened.stderr)")
        #expect(try reopened.json()["reopened"] as? Bool == true)
        #expect(try reopened.json()["contract_txid"] as? String == txid)

        // Reopened through a failover list (a dead address, then node 1 directly) under the
        // balancer's name: the same channel again.
        let dead = try LoopbackPort.belowEphemeralRange()
        let direct = try Self.client(
            [
                "--server", "127.0.0.1:\(dead),\(node1.address)", "--server-id", balancer.address, "--payments", "1",
                "--json",
            ], dir: clientDir)
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(try direct.json()["reopened"] as? Bool == true)
        #expect(try direct.json()["contract_txid"] as? String == txid)

        // Node 1 dies. HAProxy accepts the connection and closes it, finding no backend: the
        // client tells so (exit status 2) and funds nothing.
        node1.kill()
        let stranded = try Self.client(["--server", balancer.address, "--payments", "1"], dir: clientDir)
        #expect(stranded.status == 2, "\(stranded.stderr)")
        #expect(stranded.stderr.contains("cannot reach \(balancer.address)"))
        #expect(stranded.stderr.contains("\(balancer.address): the connection closed before a channel was open"))

        // The server comes back at the second backend's address, on the same store (one
        // process at a time on a SQLite store; two live nodes on a shared PostgreSQL store are
        // HAProxyClusterTests). The reopen
        // through the balancer lands there and settles the channel.
        let node2 = try RunningServer(directory: store, listen: "127.0.0.1:\(node2Port)")
        defer { node2.stop() }
        // Until its health check finds node 2, HAProxy has no backend to offer (as above).
        #expect(balancer.waitUntilUp(node: 2), "\(balancer.log)")
        let closed = try Self.client(
            ["--server", balancer.address, "--payments", "1", "--close", "--json"], dir: clientDir)
        #expect(closed.status == 0, "\(closed.stderr)\n\(balancer.log)")
        let last = try closed.json()
        #expect(last["reopened"] as? Bool == true)
        #expect(last["contract_txid"] as? String == txid)
        #expect(last["channel_signed_sats"] as? Int == 10_000)
        #expect(last["settlement"] is [String: Any])
        let serverList = try #require(
            try PaychanProcess.run(["channels", "--dir", store, "--json"]).json()["server"] as? [[String: Any]])
        #expect(serverList.count == 1)
        #expect(serverList.first?["state"] as? String == "settled")
        #expect(serverList.first?["paid_to_server"] as? Int == 10_000)
        #expect(node2.stop() == 0)
    }
}
