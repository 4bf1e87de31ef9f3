import BitcoinPrimitives
import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan demo", .onDedicatedThreads)
struct DemoTests {
    @Test("demo --json: every transaction's inputs verify against the outputs they spend", arguments: ["1", "2"])
    func demoTransactionsVerify(version: String) throws {
        let scratch = try ScratchDirectory()
        let result = try PaychanProcess.run([
            "demo", "--protocol", version, "--payments", "50", "--amount", "100", "--dir", scratch.path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try result.json()
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["protocol"] as? Int == Int(version))
        #expect(summary["paid_to_server"] as? Int == 1_000 + 50 * 100)
        let txs = try #require(document["txs"] as? [[String: Any]])
        #expect(Set(txs.compactMap { $0["name"] as? String }) == ["contract", "refund", "settlement"])
        for entry in txs {
            let name = entry["name"] as? String ?? "?"
            let transaction = try Transaction(hex: try #require(entry["hex"] as? String))
            let spent = try #require(entry["spent"] as? [[String: Any]])
            #expect(spent.count == transaction.inputs.count, "\(name): one spent entry per input")
            var outputs: [TransactionOutput] = []
            for item in spent {
                let amount = try #require(item["amount"] as? Int)
                let scriptHex = try #require(item["script_pubkey"] as? String)
                let script = try #require([UInt8](hex: scriptHex))
                outputs.append(
                    TransactionOutput(value: try Amount(satoshis: Int64(amount)), scriptPubKey: Script(bytes: script)))
            }
            #expect(throws: Never.self, "\(name) must verify") {
                try ScriptVerifier.verify(transaction: transaction, spentOutputs: outputs)
            }
        }
    }
}
