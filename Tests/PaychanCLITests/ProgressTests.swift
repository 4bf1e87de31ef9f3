import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan client --progress", .onDedicatedThreads, .serialized)
struct ProgressTests {
    @Test("one line per step: opened, each acknowledged payment with the channel's total, closing, settled")
    func progressLines() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        defer { server.stop() }
        let common = [
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "300000",
            "--amount", "1500", "--progress",
        ]
        let first = try PaychanProcess.run(common + ["--payments", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        let txid = try #require(lines.first?.split(separator: " ").dropFirst().first.map(String.init))
        #expect(txid.count == 64)
        #expect(Array(lines.prefix(3)) == ["opened \(txid) 300000 1000", "paid \(txid) 2500", "paid \(txid) 4000"])

        let second = try PaychanProcess.run(common + ["--payments", "1", "--close", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let again = second.stdout.split(separator: "\n").map(String.init)
        #expect(again.count == 5)
        #expect(Array(again.prefix(3)) == ["reopened \(txid) 300000", "paid \(txid) 5500", "closing \(txid)"])
        let settlement = try #require(
            (try JSONSerialization.jsonObject(with: Data(again.last?.utf8 ?? "".utf8)) as? [String: Any])?[
                "settlement"] as? [String: Any])
        #expect(again.count > 3 && again[3] == "settled \(txid) \(settlement["txid"] as? String ?? "?")")
    }
}
