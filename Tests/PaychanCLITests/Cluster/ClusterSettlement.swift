import Foundation
import Testing

/// The end of a cluster test: every client closes, channels left open are closed by hand, and the
/// server's settlements are compared with what the clients saw acknowledged and signed.
extension NodeCluster {
    /// Each client closes its channel through the cluster, retrying while a claim lapses.
    func closeClients(_ dirs: [String], record: ClientRecord) throws {
        for (client, dir) in dirs.enumerated() {
            var closed = false
            for _ in 0..<20 where !closed {
                let result = try self.client(
                    dir: dir, ["--payments", "1", "--amount", "1000", "--progress", "--close"])
                record.note(client: client, result)
                closed = result.status == 0
                if !closed { Thread.sleep(forTimeInterval: 1) }
            }
            #expect(closed, "client \(client) could not close its channel")
        }
    }

    /// With the nodes stopped: closes by hand the channels a client left behind, expects every
    /// channel settled, the server holding at least every acknowledged payment and no more than
    /// was signed. Returns the number of channels and the satoshis acknowledged.
    func settleAndCompare(clients dirs: [String], record: ClientRecord) throws -> (channels: Int, acknowledged: Int) {
        let listed = try PaychanProcess.run(["channels", "--store", store, "--json"])
        let server = try #require(try listed.json()["server"] as? [[String: Any]])
        for channel in server where channel["state"] as? String == "open" {
            let txid = try #require(channel["contract_txid"] as? String)
            let closed = try PaychanProcess.run(["close", "--dir", directory(0), "--store", store, txid])
            #expect(closed.status == 0, "\(closed.stderr)")
        }
        let final = try #require(
            try PaychanProcess.run(["channels", "--store", store, "--json"]).json()["server"] as? [[String: Any]])
        var paidToServer: [String: Int] = [:]
        for channel in final {
            let txid = try #require(channel["contract_txid"] as? String)
            #expect(["settled", "failed"].contains(channel["state"] as? String ?? ""), "\(txid) not settled")
            paidToServer[txid] = channel["paid_to_server"] as? Int
        }
        var acknowledged = 0
        for dir in dirs {
            let mine = try PaychanProcess.run(["channels", "--dir", dir, "--json"])
            let channels = try #require(try mine.json()["client"] as? [[String: Any]])
            for channel in channels {
                let txid = try #require(channel["contract_txid"] as? String)
                let value = try #require(channel["channel_value"] as? Int)
                let left = try #require(channel["value_left"] as? Int)
                let acked = record.acked(txid)
                acknowledged += acked
                let held = paidToServer[txid] ?? 0
                #expect(held >= acked, "channel \(txid): the server holds \(held), \(acked) was acknowledged")
                #expect(held <= value - left, "channel \(txid): the server holds \(held), \(value - left) was signed")
            }
        }
        return (final.count, acknowledged)
    }

    /// How many channels the store holds as settled.
    func settledChannels() throws -> Int {
        let listed = try PaychanProcess.run(["channels", "--store", store, "--json"])
        let server = try #require(try listed.json()["server"] as? [[String: Any]])
        return server.filter { $0["state"] as? String == "settled" }.count
    }

    /// From the store's audit tables: (channel, token) pairs written by two nodes, writes by a node
    /// a token was not granted to, the number of tokens that wrote and of fenced writes.
    func claimAudit() throws -> (shared: String?, foreign: String?, tokens: String?, writes: String?) {
        let shared = try sql(
            """
            SELECT count(*) FROM (SELECT contract_txid, token FROM channel_claim_writes
                GROUP BY contract_txid, token HAVING count(DISTINCT node_id) > 1) AS shared
            """)
        let foreign = try sql(
            """
            SELECT count(*) FROM channel_claim_writes AS w LEFT JOIN channel_claim_log AS g
                ON g.token = w.token AND g.contract_txid = w.contract_txid AND g.node_id = w.node_id
            WHERE g.token IS NULL
            """)
        let tokens = try sql("SELECT count(DISTINCT token) FROM channel_claim_writes")
        let writes = try sql("SELECT coalesce(sum(writes), 0) FROM channel_claim_writes")
        return (shared, foreign, tokens, writes)
    }
}
