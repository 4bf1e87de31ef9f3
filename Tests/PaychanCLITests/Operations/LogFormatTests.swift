import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan server --log-format and --log-level", .onDedicatedThreads)
struct LogFormatTests {
    @Test("json: every line of the log is one JSON object with time, level, label, message and source")
    func jsonLines() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(
            directory: scratch.path + "/server", extraArguments: ["--log-format", "json", "--log-level", "debug"])
        let client = try PaychanProcess.run([
            "client", "--server", server.address, "--dir", scratch.path + "/client", "--channel-value", "200000",
            "--amount", "1000", "--payments", "2", "--close",
        ])
        #expect(client.status == 0, "\(client.stderr)")
        #expect(server.stop() == 0)
        let lines = server.log.split(separator: "\n")
        #expect(lines.count >= 5)
        var levels: Set<String> = []
        for line in lines {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            for key in ["time", "level", "label", "message", "source"] { #expect(object[key] is String, "\(line)") }
            if let level = object["level"] as? String { levels.insert(level) }
        }
        #expect(levels.contains("debug") && levels.contains("info") && levels.contains("notice"))
        #expect(server.log.contains("\"message\":\"stopped\""))
    }

    @Test("--log-level warning leaves out the info lines; bad values are refused")
    func levels() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server", extraArguments: ["--log-level", "warning"])
        #expect(server.stop() == 0)
        #expect(!server.log.contains(" info "))
        for bad in [["--log-level", "loud"], ["--log-format", "xml"], ["--metrics", "nowhere"]] {
            let result = try PaychanProcess.run(
                ["server", "--listen", "127.0.0.1:0", "--dir", scratch.path + "/bad"] + bad)
            #expect(result.status == 1)
            #expect(result.stderr.contains(bad[0]), "\(result.stderr)")
        }
    }
}
