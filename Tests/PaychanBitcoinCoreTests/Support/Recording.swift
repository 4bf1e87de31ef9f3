import Foundation
import PaychanBitcoinCore

/// JSON-RPC exchanges recorded from a real Bitcoin Core node, as committed under
/// `Tests/PaychanBitcoinCoreTests/Recordings/SCENARIO.json`.
struct Recording: Codable {
    /// One request and the node's answer.
    struct Exchange: Codable {
        /// The request body the client sent (its ids are ignored when replaying).
        var request: JSONValue
        /// The HTTP status the node answered.
        var status: Int
        /// The body the node answered, as it sent it.
        var response: String
    }

    /// The node's user agent (`getnetworkinfo.subversion`), for example `/Satoshi:31.99.0/`.
    var node: String
    /// The scenario's name.
    var scenario: String
    /// The exchanges, in order.
    var exchanges: [Exchange]

    /// The recording of `scenario` committed with the tests.
    static func load(_ scenario: String) throws -> Recording {
        guard let url = Bundle.module.url(forResource: scenario, withExtension: "json", subdirectory: "Recordings")
        else {
            throw ReplayProblem("no recording \(scenario).json: record it with PAYCHAN_RECORD=1 PAYCHAN_BITCOIND=…")
        }
        return try JSONDecoder().decode(Recording.self, from: Data(contentsOf: url))
    }

    /// Writes this recording into the source tree (`Recordings/` beside `Support/`).
    func write() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Recordings")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: directory.appendingPathComponent(scenario + ".json"))
    }
}

/// A replay that went wrong: the client sent what the recording does not have.
struct ReplayProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
